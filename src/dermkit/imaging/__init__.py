"""Image-level processing: skin tone (ITA, Fitzpatrick), colour, hair, contrast, augmentation."""

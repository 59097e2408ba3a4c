"""bf16 on a CPU without bf16 instructions is emulated, many times slower: training warns, once, in one line."""

from __future__ import annotations

import warnings

import pytest
import torch

from dermkit.train.config import SlowPrecisionWarning, warn_if_bf16_is_emulated


def _cpu(monkeypatch, avx512_bf16: bool, amx: bool, cuda: bool = False) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)


def _issued(precision: str, accelerator: str = "auto") -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_if_bf16_is_emulated(precision, accelerator)
    return [str(w.message) for w in caught if w.category is SlowPrecisionWarning]


@pytest.mark.parametrize("precision", ["bf16-mixed", "bf16-true"])
def test_bf16_on_a_cpu_without_bf16_units_warns(monkeypatch, precision):
    _cpu(monkeypatch, avx512_bf16=False, amx=False)
    for accelerator in ("auto", "cpu"):
        (message,) = _issued(precision, accelerator)
        assert message.startswith(f"precision {precision} on this CPU, which lacks bf16 instructions") and "use 32-true" in message


@pytest.mark.parametrize(
    "precision,accelerator,avx512_bf16,amx,cuda",
    [
        ("32-true", "auto", False, False, False),  # not bf16
        ("16-mixed", "cpu", False, False, False),
        ("bf16-mixed", "auto", True, False, False),  # AVX-512 bf16 units
        ("bf16-mixed", "cpu", False, True, False),  # AMX units
        ("bf16-mixed", "auto", False, False, True),  # auto picks the GPU
        ("bf16-mixed", "gpu", False, False, False),
    ],
)
def test_no_warning_where_bf16_is_native_or_not_asked_for(monkeypatch, precision, accelerator, avx512_bf16, amx, cuda):
    _cpu(monkeypatch, avx512_bf16, amx, cuda)
    assert _issued(precision, accelerator) == []


def test_no_warning_where_torch_cannot_tell(monkeypatch):
    _cpu(monkeypatch, avx512_bf16=False, amx=False)
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported")
    assert _issued("bf16-mixed") == []


def test_segmenter_training_warns_before_any_work(monkeypatch, tmp_path):
    from dermkit.errors import DataError
    from dermkit.segment import train_segmenter

    _cpu(monkeypatch, avx512_bf16=False, amx=False)
    with pytest.warns(SlowPrecisionWarning), pytest.raises(DataError):  # the warning comes first; the empty table then stops it
        train_segmenter(tmp_path / "missing.parquet", tmp_path / "run", precision="bf16-mixed")


def test_the_cli_prints_dermkit_warnings_on_one_line(capsys, monkeypatch):
    import dermkit.cli as cli

    passed_on = []
    monkeypatch.setattr(cli, "_python_showwarning", lambda *args: passed_on.append(args))
    cli.show_warning(SlowPrecisionWarning("precision bf16-mixed [slow]"), SlowPrecisionWarning, "x.py", 1)
    assert capsys.readouterr().err == "warning: precision bf16-mixed [slow]\n"  # no file, line or source; brackets kept as text
    other = UserWarning("from elsewhere")
    cli.show_warning(other, UserWarning, "x.py", 7)
    assert passed_on == [(other, UserWarning, "x.py", 7, None, None)] and capsys.readouterr().err == ""  # shown as Python shows it

"""Real data (Section 5 on sklearn's digits): the split, tiny digit classifiers through the shipped
pipeline, the digits claims with a false variant refuted, and ``closeness experiment digits``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from checks.claims.sec5 import common
from checks.claims.sec5.bound import check_bound
from checks.claims.sec5.digits import DIGITS_GRID
from checks.cli import main
from checks.registry import Context, all_claims
from theory.shipped import Shipped, WidthSpec, load_shipped, train_models, write_shipped

pytest.importorskip("sklearn")

TINY = {m: WidthSpec(task="digits", classes=10, widths=(8, 12), seeds=(0, 1, 2), budgets=(40, 80), lr=3e-3,
                     train_size=1347, test_size=450, dim=m) for m in (2, 8)}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Shipped]:
    root = tmp_path_factory.mktemp("digits")
    out = {}
    for m, spec in TINY.items():
        write_shipped(spec, train_models(spec, root / "cache"), root / f"digits-M{m}")
        out[f"digits-M{m}"] = load_shipped(root / f"digits-M{m}")
    return out


@pytest.fixture
def as_shipped(tiny: dict[str, Shipped]) -> Iterator[dict[str, Shipped]]:
    """The digits claims and commands reading the tiny sets instead of the package's."""
    with common.stand_ins(tiny):
        yield tiny


def test_digits_split_is_seeded_and_scaled() -> None:
    from theory.digits import digits_data

    a, b = digits_data(), digits_data()
    assert a.x_train.shape == (1347, 64) and a.x_test.shape == (450, 64)
    assert np.array_equal(a.x_test, b.x_test) and a.x_train.min() >= 0 and a.x_train.max() <= 1
    assert not np.array_equal(digits_data(seed=1).y_test, a.y_test)
    assert sorted(set(a.y_test.tolist())) == list(range(10))


def test_shipped_digits_carry_their_labels_and_dimension(tiny: dict[str, Shipped]) -> None:
    sh = tiny["digits-M8"]
    m = sh.get(12, 1)
    assert m.models[80].f.shape == (450, 8) and m.models[80].g.shape == (10, 8)
    assert sh.test_labels is not None and len(sh.test_labels) == 450
    assert m.config["data"]["source"].startswith("sklearn.datasets.load_digits")


def test_digits_claims_and_a_false_bound(as_shipped: dict[str, Shipped]) -> None:
    claims = all_claims()
    bound = claims["sec5-digits-bound"].methods["numeric"](Context())
    assert bound.verdict == "verified"
    assert {"M = 2, 80 steps", "M = 8, 40 steps"} <= set(bound.evidence)
    summary = bound.evidence["distances"]["M = 2"]
    assert set(summary["per_width_means"]["8"]) == {"d_kl", "d_llv", "d_fg", "m_cca"}
    assert 0 <= summary["lowest_m_cca"]["m_cca"] <= 1 + 1e-12
    sh = as_shipped["digits-M8"]
    models = {(m.width, m.seed): m.models[80] for m in sh.models}
    false = check_bound(list(common.shipped_table(80, "digits-M8").values()), models, constant=1e-4)
    assert false.verdict == "refuted"
    trend = claims["sec5-digits-width-trend"].methods["numeric"](Context())
    assert trend.verdict in ("verified", "undecided", "refuted")
    assert set(trend.evidence["M = 2"]["robustness"]) >= {"accuracy > 0.8", "accuracy > 0.9", "40 steps"}


def test_digits_command_on_shipped_models_draws_the_figure(
    as_shipped: dict[str, Shipped], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the tiny stand-in models stay below the 0.85 accuracy filter: nothing compared, said, status 3
    assert main(["experiment", "digits", "--shipped", "--dim", "2", "--out", str(tmp_path)]) == 3
    cap = capsys.readouterr()
    assert "mean m_CCA" in cap.out and "figure:" in cap.out and "nan" not in cap.out
    assert "nothing compared" in cap.err
    assert (tmp_path / "digits-M2" / "embeddings.png").read_bytes()[:4] == b"\x89PNG"


def test_digits_reproduce_command_refutes_changed_outputs(
    as_shipped: dict[str, Shipped], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["experiment", "digits", "--reproduce", "--dim", "2", "--out", str(tmp_path)]
    assert main(args) == 0 and "verified" in capsys.readouterr().out
    sh = as_shipped["digits-M2"]
    changed = replace(sh, models=[replace(m, models={b: replace(x, f=np.asarray(x.f) * (1 + 1e-9))
                                                      for b, x in m.models.items()}) for m in sh.models])
    with common.stand_ins({"digits-M2": changed}):
        assert main(args) == 1 and "refuted" in capsys.readouterr().out


def test_digits_claims_name_the_shipped_grid() -> None:
    """The digits statements say exactly which grid is shipped (kept equal to both manifests), and
    the trainer's specification is the one shipped."""
    from theory.shipped import DIGITS

    for name in common.DIGITS_SETS:
        sh = common.shipped(name)
        s = sh.spec
        text = (f"{common.grid_text(sh)}, {s.steps} Adam steps at lr {s.lr:g} "
                f"(snapshot at {', '.join(map(str, s.budgets[:-1]))})")
        assert text == DIGITS_GRID
        assert s == DIGITS[s.dim]
    assert DIGITS_GRID in all_claims()["sec5-digits-bound"].statement

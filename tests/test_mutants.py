"""The checks checked: every planted bug of :data:`checks.selftest.CATALOGUE` must be caught by
``closeness verify`` (its claims, default settings).  The kill runs carry the ``mutants`` marker
(``python3 -m pytest -m mutants`` runs only them); the machinery tests below are quick."""

from __future__ import annotations

import importlib
import linecache
import sys
from pathlib import Path

import pytest

import theory.distances
from checks.claims import sec1
from checks.cli import main
from checks.registry import Context, all_claims
from checks.runner import select
from checks.selftest import (
    CATALOGUE,
    Baseline,
    Mutant,
    StaleMutantError,
    applied,
    by_name,
    mutated_function,
    run_mutant,
)
from theory.errors import ClosenessError
from theory.precision import Ball


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    """Verdicts without any mutant, shared by the kill runs of this module."""
    return Baseline(Context())


@pytest.mark.mutants
@pytest.mark.parametrize("mutant", CATALOGUE, ids=lambda m: m.name)
def test_verify_kills(mutant: Mutant, baseline: Baseline) -> None:
    result = run_mutant(mutant, Context(), baseline)
    assert result.status == "killed", result.explain()


def test_catalogue_is_well_formed() -> None:
    names = [m.name for m in CATALOGUE]
    assert len(names) == len(set(names))
    for m in CATALOGUE:
        select(all_claims(), m.claims, None)  # every claim id or prefix exists
        mutated_function(m)  # every edit matches the current source exactly once


def test_module_function_is_patched_in_every_copy_and_restored() -> None:
    original = theory.distances.m_svd
    assert sec1.m_svd is original  # `from theory.distances import m_svd`
    with applied(by_name(["msvd-top-singular-value"])[0]) as fn:
        assert theory.distances.m_svd is fn
        assert sec1.m_svd is fn
    assert theory.distances.m_svd is original
    assert sec1.m_svd is original


def test_inherited_method_is_patched_on_its_class_only() -> None:
    assert "_map" not in vars(Ball)
    with applied(by_name(["ball-radii-dropped"])[0]) as fn:
        assert vars(Ball)["_map"] is fn
        with Ball(30).active():
            assert Ball(30).exp(Ball(30).array([1])).item().rad() == 0
    assert "_map" not in vars(Ball)


def test_stale_mutant_is_reported() -> None:
    stale = Mutant("stale", "an edit that matches nothing", "theory.distances:m_svd",
                   (("no such text", "x"),), ("sec1-",))
    with pytest.raises(StaleMutantError, match="occurs 0 times"):
        mutated_function(stale)
    result = run_mutant(stale, Context(), Baseline(Context()))
    assert result.status == "stale"
    assert theory.distances.m_svd.__code__.co_filename == theory.distances.__file__


def test_unknown_mutant_is_a_usage_error() -> None:
    with pytest.raises(ClosenessError, match="unknown mutant"):
        by_name(["no-such-mutant"])


def test_source_edited_since_import_is_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "skewed_module.py").write_text("def f(x):\n    return x + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("skewed_module")
    (tmp_path / "skewed_module.py").write_text("def g(y):\n    return [y]\n\n\ndef f(x):\n    return x + 1\n")
    linecache.checkcache()
    mutant = Mutant("skew", "x + 1 → x + 2", "skewed_module:f", (("x + 1", "x + 2"),), ("sec1-",))
    with pytest.raises(StaleMutantError, match="edited on disk"):
        mutated_function(mutant)
    monkeypatch.delitem(sys.modules, "skewed_module")


def test_selftest_command_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selftest", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == [m.name for m in CATALOGUE]
    assert main(["selftest", "--mutant", "no-such-mutant"]) == 2
    assert "unknown mutant" in capsys.readouterr().err


def test_a_mutant_reaches_checkers_that_bind_its_target_as_a_default() -> None:
    """``check_kl_bound(…, bound=kl_bound)`` binds the function at definition: :func:`applied` rebinds
    that default to the mutant and back, so such a checker cannot hide a mutant."""
    from checks.claims.sec3 import kl_bound as module
    from theory.counterexample import kl_bound

    (mutant,) = by_name(["kl-bound-drops-rho-term"])
    assert kl_bound in module.check_kl_bound.__defaults__
    with applied(mutant) as replacement:
        assert replacement in module.check_kl_bound.__defaults__
        assert kl_bound not in module.check_kl_bound.__defaults__
    assert kl_bound in module.check_kl_bound.__defaults__

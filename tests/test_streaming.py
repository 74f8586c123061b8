"""The streamed float64 path (theory.streaming) against the in-memory one (theory.distances)."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import theory.compare as compare_module
import theory.streaming as streaming
from checks.cli import main
from checks.cli.compare import TerminalProgress
from theory.compare import compare
from theory.distances import Sets
from theory.errors import ClosenessError
from theory.identifiability import equivalent_model_arrays
from theory.model import Model, log_softmax
from theory.streaming import MainSums, Moments, stream_d_fg, stream_distances, stream_kl, stream_llv_terms

TERM_ARRAYS = ("sigma", "sigma2", "a", "b", "c", "e", "s", "s2")


def pair(n: int, k: int, m: int, seed: int, noise: float = 0.3, scale: float = 1.0,
         weighted: bool = False) -> tuple[Model, Model]:
    rng = np.random.default_rng(seed)
    f, g = rng.normal(size=(n, m)), scale * rng.normal(size=(k, m))
    w = rng.random(n) + 0.1 if weighted else None
    return (Model(f, g, w),
            Model(f + noise * rng.normal(size=f.shape), g + noise * scale * rng.normal(size=g.shape), w))


def sets_for(k_labels: int, m: int) -> Sets:
    return Sets(0, tuple(range(1, k_labels + 1)), 0, tuple(range(1, m + 1)))


def rel(x: Any, y: Any) -> float:
    xx, yy = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.max(np.abs(xx - yy) / np.maximum(np.abs(yy), 1e-300)))


def disagreement(streamed: dict[str, Any], memory: dict[str, Any], absolute: bool = False) -> float:
    """Largest relative (or absolute) difference over every reported number; argmaxima must match."""
    diff = (lambda x, y: float(np.max(np.abs(np.asarray(x, float) - np.asarray(y, float))))) if absolute else rel
    t, r = streamed["terms"], memory["terms"]
    assert t.argmax == r.argmax
    assert [s for s, _ in streamed["fg"].f_side] == [s for s, _ in memory["fg"].f_side]
    values = [diff(streamed[k], memory[k]) for k in ("d_kl_ab", "d_kl_ba", "d_llv", "m_cca")]
    values += [diff(getattr(t, name), getattr(r, name)) for name in TERM_ARRAYS]
    values += [diff(getattr(t, name), getattr(r, name)) for name in ("T1", "T2", "T3", "T4")]
    values += [diff([d for _, d in streamed["fg"].f_side], [d for _, d in memory["fg"].f_side]),
               diff(streamed["fg"].g_side, memory["fg"].g_side), diff(streamed["fg"].value, memory["fg"].value)]
    return max(values)


@pytest.mark.parametrize(
    ("n", "k", "m", "labels", "weighted"),
    [(300, 40, 3, 3, False), (300, 40, 3, 3, True), (250, 30, 2, 6, False), (200, 50, 1, 30, True)],
)
def test_streamed_equals_in_memory(n: int, k: int, m: int, labels: int, weighted: bool) -> None:
    a, b = pair(n, k, m, seed=n + k, weighted=weighted)
    sets = sets_for(labels, m)
    memory = compare(a, b, sets).values
    for chunk in (1, 7, n):
        assert disagreement(stream_distances(a, b, sets, chunk=chunk), memory) < 1e-12, chunk


def test_label_tiles_and_large_logits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several label tiles per block; logits beyond ``SAFE_LOGIT`` take the shifted path."""
    monkeypatch.setattr(streaming, "TILE_ENTRIES", 1)  # tiles of 256 labels: 3 tiles for K = 700
    for scale in (1.0, 60.0):
        a, b = pair(120, 700, 3, seed=5, scale=scale)
        sets = sets_for(3, 3)
        memory = compare(a, b, sets).values
        assert disagreement(stream_distances(a, b, sets, chunk=32), memory) < 1e-12, scale


def test_near_equivalent_models_agree_in_absolute_terms() -> None:
    """``d_LLV ≈ 0`` and ``d_KL ≈ 0`` for models related by ``~_L`` up to a 1e-9 perturbation."""
    rng = np.random.default_rng(3)
    f, g = rng.normal(size=(400, 3)), rng.normal(size=(20, 3))
    f2, g2 = equivalent_model_arrays(f, g, rng.normal(size=(3, 3)) + 2 * np.eye(3), rng.normal(size=3))
    a, b = Model(f, g), Model(f2 + 1e-9 * rng.normal(size=f.shape), g2)
    sets = sets_for(3, 3)
    memory = compare(a, b, sets).values
    streamed = stream_distances(a, b, sets, chunk=64)
    assert float(memory["d_llv"]) < 1e-7
    assert disagreement(streamed, memory, absolute=True) < 1e-12


def test_parts_match_the_whole() -> None:
    a, b = pair(150, 25, 2, seed=9)
    sets = sets_for(4, 2)
    whole = stream_distances(a, b, sets, chunk=16)
    kl = stream_kl(a, b, chunk=16)
    assert (kl.ab, kl.ba) == (whole["d_kl_ab"], whole["d_kl_ba"])
    assert stream_llv_terms(a, b, sets, chunk=16).T1 == whole["terms"].T1
    assert stream_d_fg(a, b, sets, chunk=16).value == whole["fg"].value


def test_moments_merge_matches_numpy_and_survives_an_offset() -> None:
    """Chan's merge equals the two-pass moments, also on data offset by 1e6, where the one-pass
    formula E[x²] − E[x]² (the naive accumulator) keeps only about four digits: the test can fail."""
    rng = np.random.default_rng(4)
    u, v, w = 1e6 + rng.normal(size=(1000, 3)), rng.normal(size=(1000, 4)), rng.random(1000)
    mom, naive_sq, naive_mean = Moments(outer=True), np.zeros(3), np.zeros(3)
    for lo, hi in ((0, 1), (1, 8), (8, 500), (500, 1000)):
        mom.add(u[lo:hi], v[lo:hi], w[lo:hi])
        naive_sq += w[lo:hi] @ u[lo:hi] ** 2
        naive_mean += w[lo:hi] @ u[lo:hi]
    p = w / w.sum()
    cu, cv = u - p @ u, v - p @ v
    assert rel(mom.var_u(), p @ cu**2) < 1e-9  # the data carry ~eps·1e6 absolute error
    assert rel(mom.var_v(), p @ cv**2) < 1e-12
    assert np.max(np.abs(mom.cov() - (cu * p[:, None]).T @ cv)) < 1e-9
    naive = naive_sq / w.sum() - (naive_mean / w.sum()) ** 2
    assert rel(naive, p @ cu**2) > 1e-6


def test_row_sums_merge_over_blocks_of_labels() -> None:
    """Row sums of blocks of labels merged by the online log-sum-exp give the KL divergences and
    ``ℓ`` of all labels at once, also when some blocks need a shift and others not (labels 200..299
    scaled ×80) and the largest logits are not in the first block.  The KL divergences are compared
    in absolute terms (``Σ_y p(ℓ − ℓ')`` carries an absolute rounding error of ``ε·|ℓ|``)."""
    a, b = pair(40, 700, 3, seed=8)
    g1, g2 = np.array(a.g), np.array(b.g)
    g1[200:300] *= 80
    g2[200:300] *= 80
    f1, f2 = np.asarray(a.f), np.asarray(b.f)
    ell, ell2 = log_softmax(f1 @ g1.T), log_softmax(f2 @ g2.T)
    kl_ab, kl_ba = (np.exp(ell) * (ell - ell2)).sum(axis=1), (np.exp(ell2) * (ell2 - ell)).sum(axis=1)
    cols = [5, 250, 699]
    for cuts in ((0, 700), (0, 100, 200, 300, 700), (0, 250, 251, 700)):
        parts = [streaming.row_sums(f1, f2, g1[lo:hi], g2[lo:hi], streaming.logit_bounds(g1[lo:hi], g2[lo:hi]), 64)
                 for lo, hi in itertools.pairwise(cuts)]
        if len(parts) > 1:  # shifted and unshifted blocks of labels are merged
            assert any(p.c1.any() for p in parts) and any(not p.c1.any() for p in parts)
        total = parts[0]
        for part in parts[1:]:
            total = total.merged(part)
        block = total.finished(0, f1 @ g1[cols].T, f2 @ g2[cols].T)
        assert max(np.max(np.abs(block.kl_ab - kl_ab)), np.max(np.abs(block.kl_ba - kl_ba))) < 1e-12, cuts
        assert max(rel(block.ell, ell[:, cols]), rel(block.ell2, ell2[:, cols])) < 1e-12, cuts


def test_reference_scales_finish_with_sigma() -> None:
    """``MainSums`` against reference scales (off ``σ, σ'`` by up to 40 %), finished with ``σ, σ'``,
    gives the ``a_y, b_y`` of the sums taken with ``σ, σ'`` themselves, for close models; reading
    ``SD(ℓ/r − ℓ'/r')·r/σ`` instead (no correction) is refuted."""
    a, b = pair(300, 40, 3, seed=10, noise=0.01, weighted=True)
    sets = sets_for(4, 3)
    terms = stream_llv_terms(a, b, sets, chunk=16)
    rng = np.random.default_rng(1)
    r, r2 = terms.sigma * (1 + 0.4 * rng.random(4)), terms.sigma2 * (1 - 0.3 * rng.random(4))
    exact, ref = MainSums(terms.sigma, terms.sigma2), MainSums(r, r2, reference=True)
    g1, g2 = np.asarray(a.g), np.asarray(b.g)
    cols = streaming.label_columns(g1, g2, [*sets.labels, sets.pivot_label])
    w = np.asarray(a.weights)
    for lo, hi in ((0, 7), (7, 150), (150, 300)):
        block = streaming.main_block(np.asarray(a.f[lo:hi]), np.asarray(b.f[lo:hi]), g1, g2,
                                     streaming.logit_bounds(g1, g2), cols, lo)
        exact.add(block, w[lo:hi])
        ref.add(block, w[lo:hi])
    (ea, eb), (ra, rb) = exact.label_terms(), ref.label_terms(terms.sigma, terms.sigma2)
    assert max(rel(ea, terms.a), rel(eb, terms.b)) < 1e-12
    assert max(rel(ra, ea), rel(rb, eb)) < 1e-12
    assert rel(r / terms.sigma * np.sqrt(ref.m_a.var_u()), ea) > 1e-2


def test_streamed_refusals() -> None:
    a, b = pair(50, 8, 2, seed=1)
    with pytest.raises(ClosenessError, match="positive"):
        stream_distances(a, b, sets_for(2, 2), chunk=0)
    g = np.array(a.g)
    g[1] = g[0]  # g_0(y_1) = 0: σ_{y_1} = 0
    with pytest.raises(ClosenessError, match="zero for index 1"):
        stream_llv_terms(Model(a.f, g), b, sets_for(2, 2), chunk=8)


def test_compare_streams_above_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = pair(200, 30, 2, seed=2)
    sets = sets_for(2, 2)
    memory = compare(a, b, sets)
    monkeypatch.setattr(compare_module, "STREAM_ENTRIES", 1000)
    calls: list[tuple[int, int]] = []
    streamed = compare(a, b, sets, progress=lambda done, total: calls.append((done, total)))
    assert memory.chunk is None and streamed.chunk == streaming.default_chunk(30)
    assert calls[-1] == (200, 200)
    assert disagreement(streamed.values, memory.values) < 1e-12
    assert set(streamed.as_json()) == set(memory.as_json())
    monkeypatch.setattr(compare_module, "PRECISE_ENTRIES", 1000)
    with pytest.raises(ClosenessError, match="float64"):  # mpmath at n·K above its own limit
        compare(a, b, sets, dps=30)


def write_dir(path: Path, model: Model) -> Path:
    path.mkdir()
    np.save(path / "f.npy", np.asarray(model.f))
    np.save(path / "g.npy", np.asarray(model.g))
    return path


def test_cli_chunk_on_memory_mapped_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = pair(120, 20, 2, seed=6)
    da, db = write_dir(tmp_path / "a", a), write_dir(tmp_path / "b", b)
    assert main(["compare", str(da), str(db), "--json"]) == 0
    memory = json.loads(capsys.readouterr().out)
    assert main(["compare", str(da), str(db), "--json", "--chunk", "16"]) == 0
    streamed = json.loads(capsys.readouterr().out)
    assert streamed["schema"] == "closeness-compare/1" and set(streamed) == set(memory)
    for key in ("d_llv", "d_fg", "m_cca", "d_svd_g"):
        assert streamed[key] == pytest.approx(memory[key], rel=1e-12)
    assert streamed["d_kl"]["ab"] == pytest.approx(memory["d_kl"]["ab"], rel=1e-12)
    assert main(["compare", str(da), str(db), "--chunk", "16"]) == 0
    assert "streamed in blocks of 16 inputs" in capsys.readouterr().out
    for extra, word in ((["--dps", "30"], "float64 only"), (["--select", "paper"], "cannot be streamed"),
                        (["--chunk", "-3"], "positive")):
        args = ["compare", str(da), str(db), "--chunk", "16", *extra]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert word in err and err.count("\n") == 1, err


def test_huge_subset_maximum_is_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Default S_Y = all other labels: C(2999, 3) M-subsets would be enumerated; refuse, say what to pass."""
    a, b = pair(40, 3000, 3, seed=7)
    da, db = write_dir(tmp_path / "a", a), write_dir(tmp_path / "b", b)
    assert main(["compare", str(da), str(db)]) == 2
    err = capsys.readouterr().err
    assert "C(2999, 3) = 4491005499" in err and "--labels 1-3" in err and err.count("\n") == 1
    assert main(["compare", str(da), str(db), "--labels", "1-3", "--inputs", "1-3", "--chunk", "8"]) == 0


def test_terminal_progress_rewrites_one_line() -> None:
    out = io.StringIO()
    progress = TerminalProgress(out)
    progress(128, 1000)
    progress(1000, 1000)
    progress.close()
    text = out.getvalue()
    assert text.startswith("\rcompare: 128/1000 inputs (12%)") and "\rcompare: 1000/1000 inputs (100%)" in text
    assert text.endswith("\n") and text.count("\n") == 1


def test_threads_do_not_change_the_values() -> None:
    """Blocks are consumed in input order whatever the number of threads of the main pass (BLAS
    held to one thread per call when there are several, theory.blas)."""
    a, b = pair(300, 40, 3, seed=11, weighted=True)
    sets = sets_for(5, 3)
    one = stream_distances(a, b, sets, chunk=8, workers=1)
    assert disagreement(stream_distances(a, b, sets, chunk=8, workers=2), one) < 1e-14
    assert disagreement(stream_distances(a, b, sets, chunk=8, workers=3), one) < 1e-14

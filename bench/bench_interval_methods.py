"""Coverage of the other interval methods tried for the Gini index.

The methods measured before the one in :mod:`analytics.intervals` was chosen,
on the same design as ``bench/bench_intervals.py`` (lognormal values with
sigma 0.5 and 1, lognormal populations with sigma 1 as weights; n = 10, 20,
30): percentile, basic, bias-shifted percentile, BCa, jackknife t (bias
corrected), equal-tailed bootstrap-t on the identity, log and logit scales,
and three double-bootstrap calibrations (200 outer x 199 inner resamples) of
the percentile and of the bias-corrected percentile. Each line prints the
coverage of a "95 %" interval, the share of misses with the interval below
the truth, and the mean width.

Run ``.venv/bin/python bench/bench_interval_methods.py REPS`` (200 took
about 15 minutes on a loaded 2-core machine); results in BENCHMARKS.md,
section "Interval coverage".
"""

import math
import sys
import time

import numpy as np
from scipy.stats import norm
from scipy.stats import t as tdist


def gini_rows(xs_, ws_):
    o = np.argsort(xs_, axis=-1)
    xs = np.take_along_axis(xs_, o, -1)
    ws = np.take_along_axis(ws_, o, -1)
    cum = np.cumsum(ws, -1)
    tot = cum[..., -1:]
    p = ws / tot
    mu = (p * xs).sum(-1, keepdims=True)
    return (p * xs / mu * (2 * cum / tot - p)).sum(-1) - 1


def loo(xs_, ws_, f):
    n = xs_.shape[-1]
    mask = 1 - np.eye(n)
    return f(np.repeat(xs_[..., None, :], n, -2), ws_[..., None, :] * mask)


ALPHA = 0.05


def methods(x, w, rng, b_=999, b2_=199, f=gini_rows):
    n = x.size
    est = f(x, w)
    idx = rng.integers(0, n, (b_, n))
    xb, wb = x[idx], w[idx]
    tb = f(xb, wb)
    out = {}
    lo, hi = np.quantile(tb, [ALPHA / 2, 1 - ALPHA / 2])
    out["percentile"] = (lo, hi)
    out["basic"] = (2 * est - hi, 2 * est - lo)
    bias = tb.mean() - est
    out["pct_biascorr"] = (lo - 2 * bias, hi - 2 * bias)
    # BCa
    jk = loo(x, w, f)
    z0 = norm.ppf(np.clip((tb < est).mean() + 0.5 * (tb == est).mean(), 1e-6, 1 - 1e-6))
    d = jk.mean() - jk
    a = (d**3).sum() / (6 * ((d**2).sum()) ** 1.5 + 1e-300)
    zs = norm.ppf([ALPHA / 2, 1 - ALPHA / 2])
    adj = norm.cdf(z0 + (z0 + zs) / (1 - a * (z0 + zs)))
    out["bca"] = tuple(np.quantile(tb, adj))
    # jackknife t with bias correction
    se_j = math.sqrt((n - 1) / n * ((jk - jk.mean()) ** 2).sum())
    th_j = n * est - (n - 1) * jk.mean()
    tq = tdist.ppf(1 - ALPHA / 2, n - 1)
    out["jack_t"] = (th_j - tq * se_j, th_j + tq * se_j)
    # bootstrap-t (studentized with jackknife SE inside each resample)
    jkb = loo(xb, wb, f)  # (b_, n)
    seb = np.sqrt((n - 1) / n * ((jkb - jkb.mean(-1, keepdims=True)) ** 2).sum(-1))
    t_stat = (tb - est) / seb
    t_stat = t_stat[np.isfinite(t_stat)]
    ql, qh = np.quantile(t_stat, [ALPHA / 2, 1 - ALPHA / 2])
    out["boot_t"] = (est - qh * se_j, est - ql * se_j)
    # boot-t on log scale
    lest = np.log(est)
    lse = se_j / est
    t_log = (np.log(tb) - lest) / (seb / tb)
    t_log = t_log[np.isfinite(t_log)]
    ql, qh = np.quantile(t_log, [ALPHA / 2, 1 - ALPHA / 2])
    out["boot_t_log"] = (math.exp(lest - qh * lse), math.exp(lest - ql * lse))

    # boot-t on logit scale
    def lg(g):
        return np.log(g / (1 - g))

    le = lg(est)
    lse = se_j / (est * (1 - est))
    t_logit = (lg(tb) - le) / (seb / (tb * (1 - tb)))
    t_logit = t_logit[np.isfinite(t_logit)]
    ql, qh = np.quantile(t_logit, [ALPHA / 2, 1 - ALPHA / 2])

    def ex(z):
        return 1 / (1 + np.exp(-z))

    out["boot_t_logit"] = (ex(le - qh * lse), ex(le - ql * lse))
    # double bootstrap calibration of the bias-corrected percentile
    b1_ = 200
    idx[:b1_]
    inner = rng.integers(0, n, (b1_, b2_, n))
    x2 = np.take_along_axis(xb[:b1_, None, :].repeat(b2_, 1), inner, -1)
    w2 = np.take_along_axis(wb[:b1_, None, :].repeat(b2_, 1), inner, -1)
    t2 = f(x2, w2)  # (b1_, b2_)
    # each outer resample: where est (its "truth") falls in the inner dist
    b2 = t2.mean(1, keepdims=True) - tb[:b1_, None]
    shifted = t2 - 2 * b2  # bias corrected inner dist
    u = (shifted < est).mean(1)  # should be uniform if calibrated
    # choose alpha' so that P(u in [a'/2, 1-a'/2]) = 0.95
    grid = np.linspace(0.001, 0.5, 500)
    cov = np.array([((u >= g / 2) & (u <= 1 - g / 2)).mean() for g in grid])
    ok = grid[cov >= 1 - ALPHA]
    ac = ok.max() if ok.size else grid[0]
    lo2, hi2 = np.quantile(tb - 2 * bias, [ac / 2, 1 - ac / 2])
    out["double_bc"] = (lo2, hi2)
    # double bootstrap percentile (no bias corr), separate tails
    u2 = (t2 < est).mean(1)
    lo_a = np.quantile(u2, ALPHA / 2)
    hi_a = np.quantile(u2, 1 - ALPHA / 2)
    out["double_pct"] = tuple(np.quantile(tb, [lo_a, hi_a]))
    u3 = (shifted < est).mean(1)
    lo_a = np.quantile(u3, ALPHA / 2)
    hi_a = np.quantile(u3, 1 - ALPHA / 2)
    out["double_bc_tails"] = tuple(np.quantile(tb - 2 * bias, [lo_a, hi_a]))
    return est, out


def sim(n, sigma, weighted, reps, seed=1):
    rng = np.random.default_rng(seed)
    truth = 2 * norm.cdf(sigma / math.sqrt(2)) - 1
    hits = {}
    lens = {}
    below = {}
    for _r in range(reps):
        x = rng.lognormal(0, sigma, n)
        w = rng.lognormal(0, 1.0, n) if weighted else np.ones(n)
        est, out = methods(x, w, rng)
        for k, (lo, hi) in out.items():
            hits[k] = hits.get(k, 0) + (lo <= truth <= hi)
            below[k] = below.get(k, 0) + (hi < truth)
            lens[k] = lens.get(k, 0) + (hi - lo)
    return {k: (hits[k] / reps, below[k] / reps, lens[k] / reps) for k in hits}


if __name__ == "__main__":
    reps = int(sys.argv[1])
    for n in (10, 20, 30):
        for sigma in (0.5, 1.0):
            for weighted in (False, True):
                t0 = time.time()
                res = sim(n, sigma, weighted, reps)
                print(f"n={n} s={sigma} w={weighted} ({time.time() - t0:.0f}s)")
                for k, (c, b, width) in res.items():
                    print(
                        f"   {k:16s} cov {c:.3f} miss-high-side {b:.3f} len {width:.3f}"
                    )
                sys.stdout.flush()

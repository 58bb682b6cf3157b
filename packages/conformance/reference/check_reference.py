"""Sanity checks of the numpy Keras reference and of the generated cases.

Usage: python3 packages/conformance/reference/check_reference.py

Checks, each against something other than the vectorized reference itself:
- the seed's Keras printout (0.6303139 / 0.70387346) and the tutorial's return_sequences claim;
- a scalar, loop-by-loop re-implementation of one step of each cell (gate order, GRU modes);
- activation values at known points, both hard_sigmoid definitions;
- invariants that hold mathematically (all-ones mask = no mask, Bidirectional = separate
  forward and reversed runs, go_backwards = forward run on reversed time, stacked cells = layers
  in sequence, stateful = one long call, RNN(cell) = layer, GRU reset_after = reset_before where
  the two agree, masked steps freeze states and cannot leak NaN);
- every case file: schema, shapes, and its expected tensors recomputed from the JSON.
"""

from __future__ import annotations

import glob
import json
import math
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source folder free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_ref as K  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.normpath(os.path.join(HERE, "..", "cases"))
RNG = np.random.default_rng(12345)
FAILURES = []
PASSED = [0]


def check(cond, what):
    if cond:
        PASSED[0] += 1
    else:
        FAILURES.append(what)
        print("FAIL:", what)


def _tensors(v):
    """A list of arrays stays a list of tensors; anything else is one tensor."""
    if isinstance(v, (list, tuple)) and v and all(isinstance(e, np.ndarray) for e in v):
        return [np.asarray(e, np.float64) for e in v]
    return [np.asarray(v, np.float64)]


def close(a, b, atol=1e-12, what=""):
    a, b = _tensors(a), _tensors(b)
    ok = len(a) == len(b) and all(x.shape == y.shape and np.allclose(x, y, atol=atol, rtol=0) for x, y in zip(a, b))
    if not ok and len(a) == len(b):
        diffs = [float(np.max(np.abs(x - y))) if x.shape == y.shape else f"{x.shape}!={y.shape}" for x, y in zip(a, b)]
        what = f"{what} (diffs {diffs})"
    check(ok, what)


def cfg(kind, units, **kw):
    c = {"units": units, **kw}
    return {"class_name": kind, "config": c}


def make(layer_json, d, weights=None, keras_version=None):
    lay = K.build_layer(layer_json, keras_version)
    if weights is None:
        weights = [RNG.uniform(-0.5, 0.5, s) for s in lay.weight_shapes(d)]
    lay.set_weights(weights, d)
    return lay, weights


# ---------------------------------------------------------------------------------------------
# 1. The seed
# ---------------------------------------------------------------------------------------------
SEED_X = np.array(
    [[[0.1, 4.2, 1.5, 1.1, 2.8], [1.0, 3.1, 2.5, 0.7, 1.1], [0.3, 2.1, 1.5, 2.1, 0.1], [2.2, 1.4, 0.5, 0.9, 1.1]]],
    np.float32,
).astype(np.float64)


def seed_layer(return_sequences):
    const = lambda v: {"class_name": "Constant", "config": {"value": v}}  # noqa: E731
    inner = cfg(
        "LSTM",
        3,
        return_sequences=return_sequences,
        return_state=True,
        kernel_initializer=const(0.1),
        recurrent_initializer=const(0.1),
        bias_initializer=const(0.0),
    )
    lay = K.build_layer({"class_name": "Bidirectional", "config": {"merge_mode": "concat", "layer": inner}})
    lay.init_weights_from_config(5)
    return lay


out, fh, fc, bh, bc = seed_layer(False)(SEED_X)
close(out, [[0.6303139] * 3 + [0.70387346] * 3], 1e-6, "seed output vs Keras printout")
close(fh, [[0.6303139] * 3], 1e-6, "seed forward_h vs Keras printout")
close(bh, [[0.70387346] * 3], 1e-6, "seed backward_h vs Keras printout")
# Without unit_forget_bias the numbers are different: the +1 forget bias is what Keras did.
lay = K.build_layer(
    {
        "class_name": "Bidirectional",
        "config": {
            "layer": cfg(
                "LSTM",
                3,
                unit_forget_bias=False,
                kernel_initializer={"class_name": "Constant", "config": {"value": 0.1}},
                recurrent_initializer={"class_name": "Constant", "config": {"value": 0.1}},
                bias_initializer={"class_name": "Constant", "config": {"value": 0.0}},
            )
        },
    }
)
lay.init_weights_from_config(5)
check(abs(lay(SEED_X)[0][0, 0] - 0.6303139) > 1e-3, "seed numbers need unit_forget_bias")
seq, fh2, fc2, bh2, bc2 = seed_layer(True)(SEED_X)
check(seq.shape == (1, 4, 6), "seed return_sequences shape (1, 4, 6)")
close(seq[:, 0, 3:], bh, 1e-12, "seed return_sequences: backward half at step 0 equals backward_h")
close(seq[:, -1, :3], fh, 1e-12, "seed return_sequences: forward half at last step equals forward_h")
close([fh2, fc2, bh2, bc2], [fh, fc, bh, bc], 1e-12, "seed states do not depend on return_sequences")

# ---------------------------------------------------------------------------------------------
# 2. Scalar loop re-implementation of one step
# ---------------------------------------------------------------------------------------------


def sig(v):
    return 1.0 / (1.0 + math.exp(-v))


def scalar_step(kind, x, h, c, W, U, b, reset_after=True):
    """Per-element loops straight from the Keras docs' equations (tanh / sigmoid)."""
    D, G = W.shape
    u = U.shape[0]

    def xw(row, col):
        return sum(x[row][d] * W[d][col] for d in range(D))

    def hu(row, col, hv=None):
        hv = h if hv is None else hv
        return sum(hv[row][k] * U[k][col] for k in range(u))

    B = len(x)
    if kind == "SimpleRNN":
        return [[math.tanh(xw(r, j) + b[j] + hu(r, j)) for j in range(u)] for r in range(B)], None
    if kind == "LSTM":
        hn, cn = [], []
        for r in range(B):
            hr, cr = [], []
            for j in range(u):
                pre = [xw(r, g * u + j) + hu(r, g * u + j) + b[g * u + j] for g in range(4)]
                i, f, cc, o = sig(pre[0]), sig(pre[1]), math.tanh(pre[2]), sig(pre[3])
                cv = f * c[r][j] + i * cc
                cr.append(cv)
                hr.append(o * math.tanh(cv))
            hn.append(hr)
            cn.append(cr)
        return hn, cn
    # GRU
    hn = []
    for r in range(B):
        if reset_after:
            bi, br = b[0], b[1]
            z = [sig(xw(r, j) + bi[j] + hu(r, j) + br[j]) for j in range(u)]
            rr = [sig(xw(r, u + j) + bi[u + j] + hu(r, u + j) + br[u + j]) for j in range(u)]
            hh = [
                math.tanh(xw(r, 2 * u + j) + bi[2 * u + j] + rr[j] * (hu(r, 2 * u + j) + br[2 * u + j]))
                for j in range(u)
            ]
        else:
            z = [sig(xw(r, j) + b[j] + hu(r, j)) for j in range(u)]
            rr = [sig(xw(r, u + j) + b[u + j] + hu(r, u + j)) for j in range(u)]
            rh = [[rr[k] * h[r][k] for k in range(u)] for _ in range(B)]
            hh = [math.tanh(xw(r, 2 * u + j) + b[2 * u + j] + hu(r, 2 * u + j, rh)) for j in range(u)]
        hn.append([z[j] * h[r][j] + (1 - z[j]) * hh[j] for j in range(u)])
    return hn, None


for kind, ra in [("SimpleRNN", None), ("LSTM", None), ("GRU", True), ("GRU", False)]:
    B, D, u = 2, 3, 4
    extra = {} if ra is None else {"reset_after": ra}
    lay, w = make(cfg(kind, u, return_state=True, **extra), D)
    x = RNG.uniform(-1, 1, (B, 1, D))
    h0 = RNG.uniform(-0.5, 0.5, (B, u))
    c0 = RNG.uniform(-0.5, 0.5, (B, u))
    init = [h0, c0] if kind == "LSTM" else [h0]
    res = lay(x, None, init)
    hs, cs = scalar_step(kind, x[:, 0, :].tolist(), h0.tolist(), c0.tolist(), w[0], w[1], w[2].tolist(), ra)
    close(res[1], hs, 1e-12, f"{kind} reset_after={ra}: vectorized step = scalar loops")
    if kind == "LSTM":
        close(res[2], cs, 1e-12, "LSTM c: vectorized step = scalar loops")

# ---------------------------------------------------------------------------------------------
# 3. Activations
# ---------------------------------------------------------------------------------------------
pts = np.array([-4.0, -1.0, 0.0, 1.0, 2.5, 4.0])
A = lambda n, v=None: K.get_activation(n, v)(pts.copy())  # noqa: E731
close(A("hard_sigmoid"), [0.0, 1 / 3, 0.5, 2 / 3, 11 / 12, 1.0], 1e-15, "hard_sigmoid Keras 3")
close(A("hard_sigmoid", "2.4.0"), [0.0, 0.3, 0.5, 0.7, 1.0, 1.0], 1e-15, "hard_sigmoid Keras 2.4")
close(A("hard_sigmoid", "2.2.4"), A("hard_sigmoid_keras2"), 0, "hard_sigmoid Keras 2.2.4")
close(A("hard_sigmoid", "3.0.0"), A("hard_sigmoid"), 0, "hard_sigmoid Keras 3.0.0")
check(abs(K.get_activation("gelu")(np.array([1.0]))[0] - 0.8413447460685429) < 1e-15, "gelu(1) exact erf")
check(abs(K.get_activation("selu")(np.array([1.0]))[0] - 1.0507009873554805) < 1e-15, "selu(1)")
SELU_NEG1 = 1.0507009873554805 * 1.6732632423543772 * (math.exp(-1) - 1)
check(abs(K.get_activation("selu")(np.array([-1.0]))[0] - SELU_NEG1) < 1e-15, "selu(-1)")
check(abs(K.get_activation("elu")(np.array([-1.0]))[0] - (math.exp(-1) - 1)) < 1e-15, "elu(-1)")
check(abs(K.get_activation("softplus")(np.array([0.0]))[0] - math.log(2)) < 1e-15, "softplus(0)")
check(abs(K.get_activation("softsign")(np.array([3.0]))[0] - 0.75) < 1e-15, "softsign(3)")
check(abs(K.get_activation("swish")(np.array([1.0]))[0] - sig(1.0)) < 1e-15, "swish(1)")
check(abs(K.get_activation("mish")(np.array([1.0]))[0] - math.tanh(math.log1p(math.e))) < 1e-15, "mish(1)")
check(abs(K.get_activation("hard_silu")(np.array([1.0]))[0] - 2 / 3) < 1e-15, "hard_silu(1)")
check(abs(K.get_activation("leaky_relu")(np.array([-1.0]))[0] + 0.2) < 1e-15, "leaky_relu(-1) slope 0.2")
check(abs(K.get_activation("relu6")(np.array([7.0]))[0] - 6) < 1e-15, "relu6(7)")
check(abs(K.get_activation("sigmoid")(np.array([-800.0]))[0]) < 1e-300, "sigmoid far tail, no overflow")

# ---------------------------------------------------------------------------------------------
# 4. Invariants
# ---------------------------------------------------------------------------------------------
B, T, D, u = 3, 6, 4, 5
x = RNG.uniform(-1, 1, (B, T, D))
mask = np.array([[1, 1, 0, 1, 1, 0], [0, 0, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0]], bool)
KINDS = [("SimpleRNN", {}), ("LSTM", {}), ("GRU", {"reset_after": True}), ("GRU", {"reset_after": False})]

for kind, extra in KINDS:
    tag = f"{kind}{extra}"
    base = dict(return_sequences=True, return_state=True, **extra)
    lay, w = make(cfg(kind, u, **base), D)
    ref = lay(x)
    close(lay(x, np.ones((B, T), bool)), ref, 0, f"{tag}: all-ones mask = no mask")

    # go_backwards = forward run on reversed time, outputs in processing order.
    back, _ = make(cfg(kind, u, go_backwards=True, **base), D, w)
    close(back(x), lay(x[:, ::-1]), 1e-14, f"{tag}: go_backwards = forward on reversed input")
    close(back(x, mask), lay(x[:, ::-1], mask[:, ::-1]), 1e-14, f"{tag}: go_backwards + mask = reversed")

    # Masked steps: states frozen, outputs repeat, leading zeros; = run on the kept steps only.
    seq_m = lay(x, mask)
    for r in range(B):
        keep = np.nonzero(mask[r])[0]
        if len(keep) == 0:
            continue
        sub = lay(x[r : r + 1, keep])
        close(seq_m[0][r, keep], sub[0][0], 1e-14, f"{tag}: masked row {r} = run on kept steps")
        close([s[r] for s in seq_m[1:]], [s[0] for s in sub[1:]], 1e-14, f"{tag}: masked row {r} states")
        first = keep[0]
        close(seq_m[0][r, :first], np.zeros((first, u)), 0, f"{tag}: zeros before first unmasked step")
        for t in range(first + 1, T):
            if not mask[r, t]:
                close(seq_m[0][r, t], seq_m[0][r, t - 1], 0, f"{tag}: masked step repeats previous output")

    # NaN at masked steps never leaks (select, not multiply).
    xn = x.copy()
    xn[~mask] = np.nan
    with np.errstate(invalid="ignore"):
        close(lay(xn, mask), seq_m, 0, f"{tag}: NaN at masked steps does not leak")

    # Fully masked row: output 0 and the initial states.
    last, _ = make(cfg(kind, u, return_state=True, **extra), D, w)
    init = [RNG.uniform(-0.5, 0.5, (B, u)) for _ in range(2 if kind == "LSTM" else 1)]
    res = last(x, np.zeros((B, T), bool), init)
    close(res, [np.zeros((B, u))] + init, 0, f"{tag}: fully masked rows -> 0 and initial states")

    # zero_output_for_mask: same states, zeros where masked, same values where kept.
    zl, _ = make(cfg(kind, u, zero_output_for_mask=True, **base), D, w)
    zres = zl(x, mask)
    close(zres[1:], seq_m[1:], 0, f"{tag}: zero_output_for_mask keeps the same states")
    close(zres[0], np.where(mask[:, :, None], seq_m[0], 0), 0, f"{tag}: zero_output_for_mask zeros")

    # RNN(cell) = layer.
    cell_json = {"class_name": "RNN", "config": {"cell": cfg(kind + "Cell", u, **extra), **base}}
    cl, _ = make(cell_json, D, w)
    close(cl(x, mask), seq_m, 0, f"{tag}: RNN({kind}Cell) = {kind}")

    # Stateful across two calls = one call over the concatenated time.
    st, _ = make(cfg(kind, u, stateful=True, **base), D, w)
    a1, a2 = st(x[:, :2]), st(x[:, 2:])
    close(a1[0], ref[0][:, :2], 1e-14, f"{tag}: stateful call 1 = first steps")
    close([a2[0]] + a2[1:], [ref[0][:, 2:]] + ref[1:], 1e-14, f"{tag}: stateful call 2 continues")

    # Bidirectional = forward run + backward run flipped back, every merge mode.
    for rs in (True, False):
        inner = cfg(kind, u, return_sequences=rs, return_state=True, **extra)
        bw_weights = [RNG.uniform(-0.5, 0.5, np.shape(a)) for a in w]
        fw_l, _ = make(cfg(kind, u, return_sequences=rs, return_state=True, zero_output_for_mask=rs, **extra), D, w)
        bw_l, _ = make(
            cfg(kind, u, return_sequences=rs, return_state=True, zero_output_for_mask=rs, go_backwards=True, **extra),
            D,
            bw_weights,
        )
        for m in (None, mask):
            f_res, b_res = fw_l(x, m), bw_l(x, m)
            yb = b_res[0][:, ::-1] if rs else b_res[0]
            merged = {
                "concat": [np.concatenate([f_res[0], yb], -1)],
                "sum": [f_res[0] + yb],
                "mul": [f_res[0] * yb],
                "ave": [(f_res[0] + yb) / 2],
                None: [f_res[0], yb],
            }
            for mm, want in merged.items():
                bi_json = {"class_name": "Bidirectional", "config": {"merge_mode": mm, "layer": inner}}
                bl, _ = make(bi_json, D, w + bw_weights)
                got = bl(x, m)
                close(got, want + f_res[1:] + b_res[1:], 1e-14, f"{tag}: Bidirectional {mm} rs={rs} mask={m is not None}")
        if rs:
            # With a mask, Bidirectional output is zero at masked steps in both halves.
            bl, _ = make({"class_name": "Bidirectional", "config": {"layer": inner}}, D, w + bw_weights)
            got = bl(x, mask)[0]
            check(np.all(got[~mask] == 0), f"{tag}: Bidirectional zeros masked steps")
    # initial_state split in halves: fw states then bw states.
    n_st = 2 if kind == "LSTM" else 1
    init = [RNG.uniform(-0.5, 0.5, (B, u)) for _ in range(2 * n_st)]
    inner = cfg(kind, u, return_sequences=True, return_state=True, **extra)
    bl, bw_all = make({"class_name": "Bidirectional", "config": {"layer": inner}}, D)
    nw = len(bw_all) // 2
    fw_l, _ = make(
        cfg(kind, u, return_sequences=True, return_state=True, zero_output_for_mask=True, **extra),
        D,
        bw_all[:nw],
    )
    bw_l, _ = make(
        cfg(kind, u, return_sequences=True, return_state=True, zero_output_for_mask=True, go_backwards=True, **extra),
        D,
        bw_all[nw:],
    )
    f_res, b_res = fw_l(x, mask, init[:n_st]), bw_l(x, mask, init[n_st:])
    close(
        bl(x, mask, init),
        [np.concatenate([f_res[0], b_res[0][:, ::-1]], -1)] + f_res[1:] + b_res[1:],
        1e-14,
        f"{tag}: Bidirectional initial_state order",
    )

# Stacked cells = layers in sequence (mask propagated), states flattened cell by cell.
c1, c2 = cfg("LSTMCell", 4), cfg("GRUCell", 3, reset_after=False)
stk, w = make({"class_name": "RNN", "config": {"cell": [c1, c2], "return_sequences": True, "return_state": True}}, D)
l1, _ = make(cfg("LSTM", 4, return_sequences=True, return_state=True), D, w[:3])
l2, _ = make(cfg("GRU", 3, reset_after=False, return_sequences=True, return_state=True), 4, w[3:])
for m in (None, mask):
    r1 = l1(x, m)
    r2 = l2(r1[0], m)
    close(stk(x, m), [r2[0], r1[1], r1[2], r2[1]], 1e-14, f"stacked cells = layers in sequence (mask={m is not None})")
wrapped = {
    "class_name": "RNN",
    "config": {
        "cell": {"class_name": "StackedRNNCells", "config": {"cells": [c1, c2]}},
        "return_sequences": True,
        "return_state": True,
    },
}
sw, _ = make(wrapped, D, w)
close(sw(x, mask), stk(x, mask), 0, "StackedRNNCells wrapper = list of cells")

# GRU reset_after = reset_before where the two agree: U_h diagonal, recurrent bias of the
# candidate zero, and the reset_before bias = input bias + recurrent z/r biases.
u = 4
g_after, w_a = make(cfg("GRU", u, reset_after=True, return_sequences=True, return_state=True), D)
w_a[1][:, 2 * u :] = np.diag(RNG.uniform(-0.5, 0.5, u))
w_a[2][1, 2 * u :] = 0.0
g_after.set_weights(w_a, D)
bias_b = w_a[2][0] + np.concatenate([w_a[2][1, : 2 * u], np.zeros(u)])
g_before, _ = make(
    cfg("GRU", u, reset_after=False, return_sequences=True, return_state=True), D, [w_a[0], w_a[1], bias_b]
)
close(g_after(x, mask), g_before(x, mask), 1e-14, "GRU reset_after = reset_before for diagonal U_h, zero b_rec_h")
w_a[2][1, 2 * u :] = 0.3
g_after.set_weights(w_a, D)
check(not np.allclose(g_after(x)[0], g_before(x)[0]), "GRU modes differ once b_rec_h is nonzero")

# use_bias=False = zero bias.
for kind, extra in KINDS:
    nb, w = make(cfg(kind, 3, use_bias=False, return_sequences=True, **extra), D)
    zb_shape = K.build_layer(cfg(kind, 3, **extra)).weight_shapes(D)[2]
    wb, _ = make(cfg(kind, 3, return_sequences=True, **extra), D, w + [np.zeros(zb_shape)])
    close(nb(x, mask), wb(x, mask), 0, f"{kind}{extra}: use_bias=False = zero bias")

# ---------------------------------------------------------------------------------------------
# ConvLSTM: the convolution against its definition, and 1x1 kernels against LSTM per position
# ---------------------------------------------------------------------------------------------
def conv_by_definition(x, w, strides, padding, dilation):
    """y[n, o, f] = sum_{k, c} x_padded[n, o·s + k·d, c] · w[k, c, f], one output at a time."""
    n = x.ndim - 2
    size, kernel = x.shape[1:-1], w.shape[:n]
    span = [(kernel[i] - 1) * dilation[i] + 1 for i in range(n)]
    if padding == "same":
        out = [math.ceil(size[i] / strides[i]) for i in range(n)]
        before = [max((out[i] - 1) * strides[i] + span[i] - size[i], 0) // 2 for i in range(n)]
    else:
        out = [(size[i] - span[i]) // strides[i] + 1 for i in range(n)]
        before = [0] * n
    y = np.zeros((x.shape[0], *out, w.shape[-1]))
    for b in range(x.shape[0]):
        for o in np.ndindex(*out):
            acc = np.zeros(w.shape[-1])
            for k in np.ndindex(*kernel):
                pos = [o[i] * strides[i] + k[i] * dilation[i] - before[i] for i in range(n)]
                if all(0 <= pos[i] < size[i] for i in range(n)):
                    acc += x[(b, *pos)] @ w[k]
            y[(b, *o)] = acc
    return y


rng_c = np.random.default_rng(7)
for shape, ksize, strides, padding, dilation in [
    ((2, 7, 3), (3,), (2,), "same", (1,)),
    ((1, 6, 5, 2), (2, 2), (2, 2), "same", (1, 1)),
    ((1, 6, 5, 2), (3, 2), (1, 1), "valid", (2, 1)),
    ((1, 7, 6, 2), (3, 3), (1, 1), "same", (2, 2)),
    ((1, 3, 4, 5, 2), (2, 3, 2), (1, 2, 2), "valid", (1, 1, 1)),
]:
    xc = rng_c.uniform(-1, 1, shape)
    wc = rng_c.uniform(-1, 1, (*ksize, shape[-1], 3))
    close(
        K.conv_nd(xc, wc, strides, padding, dilation),
        conv_by_definition(xc, wc, strides, padding, dilation),
        1e-12,
        f"conv_nd {padding} kernel {ksize} strides {strides} dilation {dilation} = definition",
    )

# A 1x1 ConvLSTM2D is an LSTM applied at every position independently.
conv_json = {
    "class_name": "ConvLSTM2D",
    "config": {"filters": 3, "kernel_size": [1, 1], "return_sequences": True, "return_state": True},
}
conv = K.build_layer(conv_json)
wk = [rng_c.uniform(-0.5, 0.5, s) for s in conv.weight_shapes(2)]
conv.set_weights(wk, 2)
lstm, _ = make(cfg("LSTM", 3, return_sequences=True, return_state=True), 2, [wk[0][0, 0], wk[1][0, 0], wk[2]])
xg = rng_c.uniform(-1, 1, (2, 4, 3, 2, 2))
mg = np.array([[1, 0, 1, 1], [0, 1, 1, 0]], bool)
got_c = conv(xg, mg)
for r in range(3):
    for q in range(2):
        want = lstm(xg[:, :, r, q, :], mg)
        close(got_c[0][:, :, r, q, :], want[0], 1e-12, f"1x1 ConvLSTM2D = LSTM at ({r}, {q}): sequence")
        close(got_c[2][:, r, q, :], want[2], 1e-12, f"1x1 ConvLSTM2D = LSTM at ({r}, {q}): c")

# ---------------------------------------------------------------------------------------------
# 5. Case files
# ---------------------------------------------------------------------------------------------
files = sorted(glob.glob(os.path.join(CASES_DIR, "*.json")))
check(len(files) >= 70, f"at least 70 case files (found {len(files)})")
total = 0
for path in files:
    total += os.path.getsize(path)
    name = os.path.basename(path)[:-5]
    with open(path, encoding="utf-8") as fh:
        case = json.load(fh)
    check(case.get("name") == name, f"{name}: name matches file")
    for key in ("description", "source", "layer", "calls", "tolerance"):
        check(key in case, f"{name}: has {key}")
    check(case["source"] in ("numpy-float64-keras-equations", "seed-keras-printout"), f"{name}: source")
    tensors = [*(case.get("weights") or [])]
    for c in case["calls"]:
        tensors += [c["input"], *c.get("initial_state", []), *c["expected"]]
        if "mask" in c:
            tensors.append(c["mask"])
            check(c["mask"]["shape"] == c["input"]["shape"][:2], f"{name}: mask shape [B, T]")
    for t in tensors:
        check(int(np.prod(t["shape"])) == len(t["data"]), f"{name}: data length matches shape {t['shape']}")
        check(all(isinstance(v, (int, float)) and math.isfinite(v) for v in t["data"]), f"{name}: finite numbers")
    for t in [*(case.get("weights") or []), *[c["input"] for c in case["calls"]]]:
        a = np.asarray(t["data"], np.float64)
        short = np.array([float(str(v)) for v in a.astype(np.float32)])
        check(np.array_equal(short, a), f"{name}: data written as shortest float32 decimals")
    got = K.run_case(case)
    for k, (c, g) in enumerate(zip(case["calls"], got)):
        exp = c["expected"]
        check(len(exp) == len(g), f"{name}: call {k} returns {len(g)} tensors, expected lists {len(exp)}")
        for j, (e, gv) in enumerate(zip(exp, g)):
            check(list(gv.shape) == e["shape"], f"{name}: call {k} tensor {j} shape")
            src = e.get("source", case["source"])
            tol = 1e-6 if src == "seed-keras-printout" else 1e-9
            ev = np.asarray(e["data"], np.float64).reshape(e["shape"])
            check(
                gv.shape == ev.shape and np.allclose(gv, ev, atol=tol, rtol=0),
                f"{name}: call {k} tensor {j} recomputed from the JSON (tol {tol})",
            )
check(total < 3e6, f"cases dir under 3 MB ({total / 1e6:.2f} MB)")

print(f"{PASSED[0]} checks passed, {len(FAILURES)} failed")
sys.exit(1 if FAILURES else 0)

"""Generate the conformance cases in ../cases/ from the numpy float64 Keras reference.

Usage: python3 packages/conformance/reference/generate.py [--check]

Deterministic: every case draws its random weights, inputs and initial states from a numpy
generator seeded by a CRC of the case name, so adding or reordering cases leaves the others
byte-identical. Weights, inputs and initial states are rounded to float32 before the reference
runs, so the float64 truth is computed from exactly the values written to the JSON.

Every case is also run through the same equations in float32; the generator fails if that run
is not well inside the case tolerance (at most a tenth of ``atol + rtol·|truth|``).

``--check`` regenerates in memory and fails if any file in ../cases differs (or is missing or
extra), without writing anything. Numbers are compared within a relative 1e-9 (``CHECK_RTOL``),
not byte for byte: another BLAS sums in another order and changes the last digits of the float64
truth (a case's tolerance is 1e-5); everything else (names, shapes, strings) must be identical.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import zlib

import numpy as np

sys.dont_write_bytecode = True  # keep the source folder free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_ref as K  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.normpath(os.path.join(HERE, "..", "cases"))

KERAS3 = "3.0.0"
TF_KERAS2 = "2.4.0"
KERAS2_STANDALONE = "2.2.4"
SOURCE_NUMPY = "numpy-float64-keras-equations"
SOURCE_SEED = "seed-keras-printout"
TOLERANCE = {"atol": 1e-5, "rtol": 1e-5}
HUGE = 3.0e38  # finite in float32; overflows to ±inf / NaN inside a float32 matmul

SEED_INPUT = [
    [
        [0.1, 4.2, 1.5, 1.1, 2.8],
        [1.0, 3.1, 2.5, 0.7, 1.1],
        [0.3, 2.1, 1.5, 2.1, 0.1],
        [2.2, 1.4, 0.5, 0.9, 1.1],
    ]
]
SEED_FORWARD_H = 0.6303139
SEED_BACKWARD_H = 0.70387346

# ---------------------------------------------------------------------------------------------
# Keras 3 get_config() builders
# ---------------------------------------------------------------------------------------------


def init(class_name, **config):
    return {
        "module": "keras.initializers",
        "class_name": class_name,
        "config": config,
        "registered_name": None,
    }


RNN_FIELDS = dict(
    return_sequences=False,
    return_state=False,
    go_backwards=False,
    stateful=False,
    unroll=False,
    zero_output_for_mask=False,
)


def cell_fields(kind, units):
    cfg = {
        "units": units,
        "activation": "tanh",
        "recurrent_activation": "sigmoid",
        "use_bias": True,
        "kernel_initializer": init("GlorotUniform", seed=None),
        "recurrent_initializer": init("Orthogonal", gain=1.0, seed=None),
        "bias_initializer": init("Zeros"),
        "kernel_regularizer": None,
        "recurrent_regularizer": None,
        "bias_regularizer": None,
        "kernel_constraint": None,
        "recurrent_constraint": None,
        "bias_constraint": None,
        "dropout": 0.0,
        "recurrent_dropout": 0.0,
        "seed": None,
    }
    if kind == "SimpleRNN":
        del cfg["recurrent_activation"]
    if kind == "LSTM":
        cfg["unit_forget_bias"] = True
    if kind == "GRU":
        cfg["reset_after"] = True
    return cfg


def layer(kind, units, name=None, **kw):
    """SimpleRNN / LSTM / GRU layer JSON with Keras 3 defaults, overridden by ``kw``."""
    cfg = {"name": name or kind.lower(), "trainable": True, "dtype": "float32", **RNN_FIELDS}
    cfg.update(cell_fields(kind, units))
    cfg["activity_regularizer"] = None
    _update(cfg, kw)
    return {"class_name": kind, "config": cfg}


def conv_lstm(rank, filters, kernel_size, name=None, **kw):
    """ConvLSTM1D/2D/3D layer JSON with Keras 3 defaults (get_config order), overridden by ``kw``."""
    kind = f"ConvLSTM{rank}D"
    cfg = {"name": name or f"conv_lstm{rank}d", "trainable": True, "dtype": "float32", **RNN_FIELDS}
    cell_cfg = cell_fields("LSTM", filters)
    del cell_cfg["units"]
    cfg.update(
        {
            "filters": filters,
            "kernel_size": [kernel_size] * rank if isinstance(kernel_size, int) else list(kernel_size),
            "strides": [1] * rank,
            "padding": "valid",
            "data_format": "channels_last",
            "dilation_rate": [1] * rank,
        }
    )
    cfg.update(cell_cfg)
    cfg["activity_regularizer"] = None
    _update(cfg, kw)
    return {"class_name": kind, "config": cfg}


def cell(kind, units, **kw):
    cfg = {"name": kind.lower() + "_cell", "trainable": True, "dtype": "float32"}
    cfg.update(cell_fields(kind, units))
    _update(cfg, kw)
    return {"class_name": kind + "Cell", "config": cfg}


def rnn(cells, stacked_wrapper=False, **kw):
    """Generic RNN layer: one cell, a list of cells, or Keras's saved StackedRNNCells form."""
    if stacked_wrapper:
        c = {
            "class_name": "StackedRNNCells",
            "config": {"name": "stacked_rnn_cells", "trainable": True, "dtype": "float32", "cells": cells},
        }
    else:
        c = cells
    cfg = {"name": "rnn", "trainable": True, "dtype": "float32", **RNN_FIELDS}
    _update(cfg, kw)
    cfg["cell"] = c
    return {"class_name": "RNN", "config": cfg}


def bi(inner, merge_mode="concat", backward_layer=None):
    cfg = {"name": "bidirectional", "trainable": True, "dtype": "float32", "merge_mode": merge_mode, "layer": inner}
    if backward_layer is not None:
        cfg["backward_layer"] = backward_layer
    return {"class_name": "Bidirectional", "config": cfg}


def keras2(layer_json, implementation=2):
    """Add the fields a tf.keras 2 / Keras 2 config carries (ignored by Keras 3 semantics)."""
    cfg = layer_json["config"]
    cfg["implementation"] = implementation
    cfg["time_major"] = False
    return layer_json


def _update(cfg, kw):
    for k, v in kw.items():
        if k not in cfg and k not in ("reset_after", "unit_forget_bias"):
            raise KeyError(f"unknown config field {k}")
        cfg[k] = v


# ---------------------------------------------------------------------------------------------
# Case assembly
# ---------------------------------------------------------------------------------------------


def f32(a):
    return np.asarray(a, np.float64).astype(np.float32)


def f32_list(a):
    out = []
    for v in np.asarray(a, np.float32).ravel():
        s = float(str(v))  # shortest decimal that round-trips through float32
        assert np.float32(s) == v, (s, v)
        out.append(s)
    return out


def f64_list(a):
    return [float("%.12g" % v) for v in np.asarray(a, np.float64).ravel()]


def tensor32(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": f32_list(a)}


def tensor64(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": f64_list(a)}


def mask_tensor(m):
    m = np.asarray(m, bool)
    return {"shape": list(m.shape), "data": [int(v) for v in m.ravel()]}


CASES = {}


def add(
    name,
    description,
    layer_json,
    shape,
    masks=None,
    initial_state=False,
    calls=1,
    keras_version=KERAS3,
    huge_at_masked=False,
    weight_range=0.5,
):
    """Register a random-weights case.

    ``shape`` = (B, T, D), or (B, T, *spatial, C) for ConvLSTM; ``masks`` = one [B, T] 0/1 list per call (or one for all calls);
    ``initial_state`` = True to pass random initial states on the first call.
    ``weight_range``: weights are uniform in ±weight_range (0.5 unless the recurrence must be
    kept contractive so float32 rounding does not grow over time).
    """
    if name in CASES:
        raise ValueError(f"duplicate case {name}")
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    B, T, D = shape[0], shape[1], shape[-1]
    ref = K.build_layer(layer_json, keras_version)
    weights = [f32(rng.uniform(-weight_range, weight_range, s)) for s in ref.weight_shapes(D)]
    call_specs = []
    for k in range(calls):
        x = f32(rng.uniform(-1.0, 1.0, tuple(shape)))
        m = None
        if masks is not None:
            m = np.asarray(masks[k] if isinstance(masks, tuple) else masks, bool)
            assert m.shape == (B, T), (name, m.shape)
            if huge_at_masked:
                x = x.copy()
                x[~m] = np.float32(HUGE) * np.sign(rng.uniform(-1, 1, x[~m].shape)).astype(np.float32)
        st = None
        if initial_state and k == 0:
            st = [f32(rng.uniform(-0.5, 0.5, s)) for s in ref.state_shapes(tuple(shape))]
        call_specs.append((x, m, st))
    CASES[name] = dict(
        description=description,
        layer=layer_json,
        keras_version=keras_version,
        weights=weights,
        calls=call_specs,
    )


def compute(spec, dtype):
    ref = K.build_layer(spec["layer"], spec["keras_version"], dtype)
    D = spec["calls"][0][0].shape[-1]
    if spec["weights"] is None:
        ref.init_weights_from_config(D)
    else:
        ref.set_weights([np.asarray(w, np.float64) for w in spec["weights"]], D)
    out = []
    with np.errstate(over="ignore", invalid="ignore"):
        for x, m, st in spec["calls"]:
            x64 = np.asarray(x, np.float64)
            st64 = None if st is None else [np.asarray(s, np.float64) for s in st]
            out.append(ref(x64, m, st64))
    return out


def check_float32(name, truth, spec):
    """The same equations in float32 must sit well inside the tolerance."""
    run32 = compute(spec, np.float32)
    worst = 0.0
    for t_call, f_call in zip(truth, run32):
        for t, f in zip(t_call, f_call):
            t = np.asarray(t, np.float64)
            f = np.asarray(f, np.float64)
            if not np.all(np.isfinite(t)):
                raise AssertionError(f"{name}: non-finite truth")
            allowed = TOLERANCE["atol"] + TOLERANCE["rtol"] * np.abs(t)
            worst = max(worst, float(np.max(np.abs(t - f) / allowed)))
    if worst > 0.1:
        raise AssertionError(f"{name}: float32 run uses {worst:.3f} of the tolerance")
    return worst


def to_json(name, spec, truth, source=SOURCE_NUMPY, expected_override=None):
    case = {"name": name, "description": spec["description"], "source": source}
    if spec["keras_version"] is not None:
        case["keras_version"] = spec["keras_version"]
    case["layer"] = spec["layer"]
    if spec["weights"] is not None:
        case["weights"] = [tensor32(w) for w in spec["weights"]]
    calls = []
    for k, (x, m, st) in enumerate(spec["calls"]):
        c = {"input": tensor32(x)}
        if m is not None:
            c["mask"] = mask_tensor(m)
        if st is not None:
            c["initial_state"] = [tensor32(s) for s in st]
        if expected_override is not None:
            c["expected"] = expected_override[k]
        else:
            c["expected"] = [tensor64(e) for e in truth[k]]
        calls.append(c)
    case["calls"] = calls
    case["tolerance"] = dict(TOLERANCE)
    return case


PRINT_WIDTH = 100  # the repository's prettier printWidth
_EXPONENT = re.compile(r"(?<=[\s\[,:])(-?\d+(?:\.\d+)?)e\+?(-?)0*(\d+)(?=[,\]\s}]|$)", re.M)


def dumps(case):
    """JSON laid out exactly as prettier formats it (objects expanded, number arrays filled)."""
    text = json.dumps(case, indent=2, ensure_ascii=False)
    # prettier writes exponents without "+" and leading zeros: 1e-05 -> 1e-5, 3e+38 -> 3e38.
    text = _EXPONENT.sub(r"\1e\2\3", text)
    out, buf = [], None
    for line in text.split("\n"):
        stripped = line.strip()
        if buf is None:
            if stripped.endswith("["):
                buf = [line]
            else:
                out.append(line)
            continue
        if stripped.startswith(("{", "[")):
            # An array of objects or arrays: keep json's layout.
            out.extend(buf)
            out.append(line)
            buf = None
            continue
        if stripped.startswith("]"):
            out.extend(_fill_array(buf[0], [b.strip().rstrip(",") for b in buf[1:]], stripped[1:]))
            buf = None
            continue
        buf.append(line)
    return "\n".join(out) + "\n"


def _fill_array(head, items, suffix):
    """prettier's concise layout of a number array: one line if it fits, else filled lines."""
    one_line = head + ", ".join(items) + "]" + suffix
    if len(one_line) <= PRINT_WIDTH:
        return [one_line]
    indent = " " * (len(head) - len(head.lstrip()))
    inner = indent + "  "
    lines, cur = [head], inner
    for k, item in enumerate(items):
        piece = item + ("," if k < len(items) - 1 else "")
        if cur == inner:
            cur += piece
        elif len(cur) + 1 + len(piece) <= PRINT_WIDTH:
            cur += " " + piece
        else:
            lines.append(cur)
            cur = inner + piece
    lines.append(cur)
    lines.append(indent + "]" + suffix)
    return lines


# ---------------------------------------------------------------------------------------------
# Masks
# ---------------------------------------------------------------------------------------------


def mask_from(rows):
    return [[int(c) for c in r] for r in rows]


# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------

SMALL = (2, 5, 3)

# --- SimpleRNN --------------------------------------------------------------------------------
add("simplernn_basic", "SimpleRNN(4) tanh, last output only", layer("SimpleRNN", 4), SMALL)
add(
    "simplernn_return_sequences_state",
    "SimpleRNN(4) return_sequences and return_state: [seq, h]",
    layer("SimpleRNN", 4, return_sequences=True, return_state=True),
    SMALL,
)
add(
    "simplernn_go_backwards_seq",
    "lone SimpleRNN go_backwards: sequence returned in processing order (not re-reversed)",
    layer("SimpleRNN", 4, return_sequences=True, return_state=True, go_backwards=True),
    SMALL,
)
add(
    "simplernn_no_bias",
    "SimpleRNN use_bias=False: weights are [kernel, recurrent_kernel] only",
    layer("SimpleRNN", 4, use_bias=False, return_sequences=True),
    SMALL,
)
add(
    "simplernn_initial_state",
    "SimpleRNN with an explicit initial_state",
    layer("SimpleRNN", 4, return_sequences=True, return_state=True),
    SMALL,
    initial_state=True,
)
add(
    "simplernn_mask_mixed",
    "SimpleRNN mask with gaps: masked steps repeat the previous output and keep h",
    layer("SimpleRNN", 4, return_sequences=True, return_state=True),
    SMALL,
    masks=mask_from(["10110", "01101"]),
)
add(
    "simplernn_relu_mask_huge_values",
    "relu SimpleRNN with ±3e38 inputs at masked steps: masking selects, overflow must not leak",
    layer("SimpleRNN", 4, activation="relu", return_sequences=True, return_state=True),
    (2, 6, 3),
    masks=mask_from(["110101", "011110"]),
    huge_at_masked=True,
)
add(
    "simplernn_stateful_two_calls",
    "stateful SimpleRNN: h carried from the first call into the second",
    layer("SimpleRNN", 4, stateful=True, return_sequences=True, return_state=True),
    (2, 3, 3),
    calls=2,
)
add(
    "simplernn_units1_dim1",
    "SimpleRNN units=1 on input_dim=1",
    layer("SimpleRNN", 1, return_sequences=True, return_state=True),
    (2, 4, 1),
)
add(
    "simplernn_T1_batch1",
    "SimpleRNN single step, batch 1",
    layer("SimpleRNN", 3, return_state=True),
    (1, 1, 4),
)
add(
    "simplernn_large",
    "SimpleRNN(32) batch 3, T 20, D 16 (weights ±0.2: a ±0.5 tanh recurrence of 32 units is chaotic)",
    layer("SimpleRNN", 32, return_sequences=True, return_state=True),
    (3, 20, 16),
    weight_range=0.2,
)
for act in [
    "linear",
    "sigmoid",
    "relu",
    "elu",
    "selu",
    "softplus",
    "softsign",
    "swish",
    "silu",
    "gelu",
    "mish",
    "relu6",
    "leaky_relu",
    "exponential",
    "hard_swish",
    "hard_silu",
    "hard_sigmoid",
]:
    add(
        f"simplernn_activation_{act}",
        f"SimpleRNN activation='{act}' (Keras 3 definition)",
        layer("SimpleRNN", 3, activation=act, return_sequences=True),
        (2, 4, 3),
    )
add(
    "simplernn_activation_hard_sigmoid_keras2",
    "SimpleRNN activation='hard_sigmoid' saved by Keras 2.4: clip(0.2x + 0.5, 0, 1)",
    keras2(layer("SimpleRNN", 3, activation="hard_sigmoid", return_sequences=True)),
    (2, 4, 3),
    keras_version=TF_KERAS2,
)

# --- LSTM -------------------------------------------------------------------------------------
add("lstm_basic", "LSTM(4) defaults: last output only", layer("LSTM", 4), SMALL)
add(
    "lstm_return_state",
    "LSTM return_state: [out, h, c] with out == h",
    layer("LSTM", 4, return_state=True),
    SMALL,
)
add(
    "lstm_return_sequences_state",
    "LSTM return_sequences and return_state: [seq, h, c]",
    layer("LSTM", 4, return_sequences=True, return_state=True),
    (3, 6, 5),
)
add(
    "lstm_go_backwards_seq",
    "lone LSTM go_backwards: sequence in processing order",
    layer("LSTM", 4, return_sequences=True, return_state=True, go_backwards=True),
    SMALL,
)
add(
    "lstm_go_backwards_last",
    "lone LSTM go_backwards, last output = state after reading input step 0",
    layer("LSTM", 4, go_backwards=True),
    SMALL,
)
add(
    "lstm_no_bias",
    "LSTM use_bias=False",
    layer("LSTM", 4, use_bias=False, return_sequences=True, return_state=True),
    SMALL,
)
add(
    "lstm_unit_forget_bias_false",
    "LSTM unit_forget_bias=False with explicit weights",
    layer("LSTM", 4, unit_forget_bias=False, return_state=True),
    SMALL,
)
add(
    "lstm_unit_forget_bias_true_explicit_weights",
    "LSTM unit_forget_bias=True only affects initialization: given weights are used as is",
    layer("LSTM", 4, unit_forget_bias=True, bias_initializer=init("Constant", value=0.0), return_state=True),
    SMALL,
)
add(
    "lstm_initial_state",
    "LSTM with explicit initial_state [h0, c0]",
    layer("LSTM", 4, return_sequences=True, return_state=True),
    SMALL,
    initial_state=True,
)
add(
    "lstm_mask_leading",
    "LSTM leading masked steps: zeros out before the first unmasked step",
    layer("LSTM", 4, return_sequences=True, return_state=True),
    (2, 6, 3),
    masks=mask_from(["001111", "000011"]),
)
add(
    "lstm_mask_trailing",
    "LSTM trailing masked steps, return_sequences=False: last unmasked output, states frozen",
    layer("LSTM", 4, return_state=True),
    (3, 6, 3),
    masks=mask_from(["111100", "110000", "111111"]),
)
add(
    "lstm_mask_trailing_seq",
    "LSTM trailing masked steps with return_sequences: outputs repeat the last unmasked output",
    layer("LSTM", 4, return_sequences=True, return_state=True),
    (2, 6, 3),
    masks=mask_from(["111100", "100000"]),
)
add(
    "lstm_mask_middle",
    "LSTM masked steps in the middle of the sequence",
    layer("LSTM", 4, return_sequences=True, return_state=True),
    (2, 7, 3),
    masks=mask_from(["1100111", "1011001"]),
)
add(
    "lstm_mask_all_masked_row",
    "LSTM with a fully masked row: output 0 and the initial states returned",
    layer("LSTM", 4, return_state=True),
    (3, 5, 3),
    masks=mask_from(["00000", "11010", "00000"]),
    initial_state=True,
)
add(
    "lstm_mask_all_masked_row_seq",
    "LSTM fully masked row with return_sequences: all zeros, states are the zero initial states",
    layer("LSTM", 4, return_sequences=True, return_state=True),
    (2, 4, 3),
    masks=mask_from(["0000", "1011"]),
)
add(
    "lstm_zero_output_for_mask_seq",
    "LSTM zero_output_for_mask=True: masked steps output zeros, states still carried",
    layer("LSTM", 4, return_sequences=True, return_state=True, zero_output_for_mask=True),
    (2, 6, 3),
    masks=mask_from(["101101", "011100"]),
)
add(
    "lstm_zero_output_for_mask_last",
    "LSTM zero_output_for_mask=True, return_sequences=False: a masked last step outputs zeros",
    layer("LSTM", 4, return_state=True, zero_output_for_mask=True),
    (2, 5, 3),
    masks=mask_from(["11100", "11111"]),
)
add(
    "lstm_mask_go_backwards",
    "lone LSTM go_backwards with a mask: mask reversed with the input, output in processing order",
    layer("LSTM", 4, return_sequences=True, return_state=True, go_backwards=True),
    (2, 6, 3),
    masks=mask_from(["111100", "001111"]),
)
add(
    "lstm_mask_go_backwards_last",
    "lone LSTM go_backwards with trailing mask, return_sequences=False",
    layer("LSTM", 4, return_state=True, go_backwards=True),
    (2, 6, 3),
    masks=mask_from(["111100", "011111"]),
)
add(
    "lstm_mask_huge_values",
    "LSTM with ±3e38 inputs at masked steps (inf - inf = NaN in float32): must not leak",
    layer("LSTM", 4, return_sequences=True, return_state=True),
    (2, 6, 3),
    masks=mask_from(["110110", "011111"]),
    huge_at_masked=True,
)
add(
    "lstm_mask_all_ones",
    "LSTM with an all-ones mask (same numbers as no mask)",
    layer("LSTM", 4, return_sequences=True, return_state=True),
    SMALL,
    masks=mask_from(["11111", "11111"]),
)
add(
    "lstm_stateful_two_calls",
    "stateful LSTM: h and c carried from the first call into the second",
    layer("LSTM", 4, stateful=True, return_sequences=True, return_state=True),
    (2, 4, 3),
    calls=2,
)
add(
    "lstm_stateful_mask",
    "stateful LSTM with masks on both calls: carried states are the masked final states",
    layer("LSTM", 4, stateful=True, return_state=True),
    (2, 4, 3),
    calls=2,
    masks=(mask_from(["1100", "1111"]), mask_from(["0111", "1010"])),
)
add(
    "lstm_stateful_go_backwards",
    "stateful lone LSTM go_backwards across two calls",
    layer("LSTM", 3, stateful=True, go_backwards=True, return_sequences=True, return_state=True),
    (1, 4, 2),
    calls=2,
)
add(
    "lstm_activation_relu_recurrent_hard_sigmoid",
    "LSTM activation='relu', recurrent_activation='hard_sigmoid' (Keras 3: clip(x/6 + 0.5, 0, 1))",
    layer("LSTM", 4, activation="relu", recurrent_activation="hard_sigmoid", return_sequences=True, return_state=True),
    SMALL,
)
add(
    "lstm_hard_sigmoid_keras2",
    "tf.keras 2.4 LSTM with recurrent_activation='hard_sigmoid': clip(0.2x + 0.5, 0, 1)",
    keras2(layer("LSTM", 4, recurrent_activation="hard_sigmoid", return_sequences=True, return_state=True)),
    SMALL,
    keras_version=TF_KERAS2,
)
add(
    "lstm_activation_softsign_recurrent_linear",
    "LSTM activation='softsign', recurrent_activation='linear'",
    layer("LSTM", 3, activation="softsign", recurrent_activation="linear", return_sequences=True),
    (2, 4, 3),
)
add(
    "lstm_activation_elu_recurrent_swish",
    "LSTM activation='elu', recurrent_activation='swish'",
    layer("LSTM", 3, activation="elu", recurrent_activation="swish", return_sequences=True, return_state=True),
    (2, 4, 3),
)
add(
    "lstm_units1_dim1",
    "LSTM units=1 on input_dim=1",
    layer("LSTM", 1, return_sequences=True, return_state=True),
    (2, 5, 1),
)
add("lstm_T1_batch1", "LSTM single step, batch 1", layer("LSTM", 3, return_state=True), (1, 1, 4))
add(
    "lstm_large",
    "LSTM(32) batch 3, T 20, D 16",
    layer("LSTM", 32, return_sequences=True, return_state=True),
    (3, 20, 16),
)
add(
    "lstm_large_mask",
    "LSTM(32) batch 3, T 24, D 16 with ragged right padding and a leading gap",
    layer("LSTM", 32, return_state=True),
    (3, 24, 16),
    masks=mask_from(["1" * 24, "1" * 17 + "0" * 7, "0" * 5 + "1" * 12 + "0" * 7]),
)

# --- GRU --------------------------------------------------------------------------------------
for ra, tag in [(True, "reset_after"), (False, "reset_before")]:
    add(
        f"gru_{tag}_basic",
        f"GRU(4) reset_after={ra}, last output only",
        layer("GRU", 4, reset_after=ra),
        SMALL,
    )
    add(
        f"gru_{tag}_seq_state",
        f"GRU reset_after={ra}, return_sequences and return_state: [seq, h]",
        layer("GRU", 4, reset_after=ra, return_sequences=True, return_state=True),
        (3, 6, 5),
    )
    add(
        f"gru_{tag}_no_bias",
        f"GRU reset_after={ra}, use_bias=False: weights [kernel, recurrent_kernel]",
        layer("GRU", 4, reset_after=ra, use_bias=False, return_sequences=True, return_state=True),
        SMALL,
    )
    add(
        f"gru_{tag}_go_backwards",
        f"lone GRU reset_after={ra} go_backwards: processing order",
        layer("GRU", 4, reset_after=ra, go_backwards=True, return_sequences=True, return_state=True),
        SMALL,
    )
    add(
        f"gru_{tag}_mask",
        f"GRU reset_after={ra} with leading, middle and trailing masked steps",
        layer("GRU", 4, reset_after=ra, return_sequences=True, return_state=True),
        (3, 6, 3),
        masks=mask_from(["011011", "111000", "001100"]),
    )
    add(
        f"gru_{tag}_initial_state",
        f"GRU reset_after={ra} with explicit initial_state",
        layer("GRU", 4, reset_after=ra, return_sequences=True, return_state=True),
        SMALL,
        initial_state=True,
    )
    add(
        f"gru_{tag}_large",
        f"GRU(32) reset_after={ra}, batch 3, T 20, D 16",
        layer("GRU", 32, reset_after=ra, return_sequences=True, return_state=True),
        (3, 20, 16),
    )
    add(
        f"gru_{tag}_units1_dim1",
        f"GRU reset_after={ra}, units=1 on input_dim=1",
        layer("GRU", 1, reset_after=ra, return_sequences=True, return_state=True),
        (2, 4, 1),
    )
add(
    "gru_T1_batch1",
    "GRU single step, batch 1",
    layer("GRU", 3, return_state=True),
    (1, 1, 4),
)
add(
    "gru_mask_all_masked_row",
    "GRU with a fully masked row: output 0 and initial state returned",
    layer("GRU", 4, return_state=True),
    (2, 5, 3),
    masks=mask_from(["00000", "10111"]),
    initial_state=True,
)
add(
    "gru_zero_output_for_mask",
    "GRU zero_output_for_mask=True with return_sequences",
    layer("GRU", 4, return_sequences=True, return_state=True, zero_output_for_mask=True),
    (2, 5, 3),
    masks=mask_from(["01101", "11100"]),
)
add(
    "gru_stateful_two_calls",
    "stateful GRU (reset_after) across two calls",
    layer("GRU", 4, stateful=True, return_sequences=True, return_state=True),
    (2, 3, 3),
    calls=2,
)
add(
    "gru_reset_before_stateful_mask",
    "stateful GRU reset_after=False with masks on both calls",
    layer("GRU", 4, reset_after=False, stateful=True, return_state=True),
    (2, 4, 3),
    calls=2,
    masks=(mask_from(["1110", "0111"]), mask_from(["1001", "0000"])),
)
add(
    "gru_hard_sigmoid_keras3",
    "GRU recurrent_activation='hard_sigmoid' under Keras 3: clip(x/6 + 0.5, 0, 1)",
    layer("GRU", 4, recurrent_activation="hard_sigmoid", return_sequences=True, return_state=True),
    SMALL,
)
add(
    "gru_reset_before_hard_sigmoid_keras224",
    "standalone Keras 2.2.4 style GRU: reset_after=False, hard_sigmoid = clip(0.2x + 0.5, 0, 1)",
    keras2(
        layer("GRU", 4, reset_after=False, recurrent_activation="hard_sigmoid", return_sequences=True),
        implementation=1,
    ),
    SMALL,
    keras_version=KERAS2_STANDALONE,
)
add(
    "gru_activation_relu_recurrent_softsign",
    "GRU activation='relu', recurrent_activation='softsign' (reset_after=False)",
    layer("GRU", 3, reset_after=False, activation="relu", recurrent_activation="softsign", return_sequences=True),
    (2, 4, 3),
)

# --- Bidirectional ----------------------------------------------------------------------------
for mm in ["concat", "sum", "mul", "ave"]:
    add(
        f"bi_lstm_{mm}_seq",
        f"Bidirectional(LSTM) merge_mode={mm}, return_sequences: backward half aligned to input time",
        bi(layer("LSTM", 4, return_sequences=True), merge_mode=mm),
        SMALL,
    )
add(
    "bi_lstm_concat_last_state",
    "Bidirectional(LSTM) concat, return_state: [out, fh, fc, bh, bc]",
    bi(layer("LSTM", 4, return_state=True)),
    SMALL,
)
add(
    "bi_lstm_none_seq_state",
    "Bidirectional(LSTM) merge_mode=None, return_sequences and return_state: [fw, bw, fh, fc, bh, bc]",
    bi(layer("LSTM", 3, return_sequences=True, return_state=True), merge_mode=None),
    SMALL,
)
add(
    "bi_lstm_none_last",
    "Bidirectional(LSTM) merge_mode=None, last outputs: [fw, bw]",
    bi(layer("LSTM", 3), merge_mode=None),
    SMALL,
)
add(
    "bi_gru_concat_state",
    "Bidirectional(GRU reset_after) concat with return_state: [out, fh, bh]",
    bi(layer("GRU", 4, return_sequences=True, return_state=True)),
    SMALL,
)
add(
    "bi_gru_reset_before_ave",
    "Bidirectional(GRU reset_after=False) merge_mode=ave",
    bi(layer("GRU", 4, reset_after=False, return_sequences=True), merge_mode="ave"),
    SMALL,
)
add(
    "bi_simplernn_sum_state",
    "Bidirectional(SimpleRNN) merge_mode=sum with return_state",
    bi(layer("SimpleRNN", 4, return_state=True), merge_mode="sum"),
    SMALL,
)
add(
    "bi_lstm_mask_seq",
    "Bidirectional(LSTM) with mask and return_sequences: masked steps are 0 in both halves",
    bi(layer("LSTM", 4, return_sequences=True, return_state=True)),
    (3, 6, 3),
    masks=mask_from(["111100", "001111", "101101"]),
)
add(
    "bi_lstm_mask_last",
    "Bidirectional(LSTM) with mask, return_sequences=False: last unmasked outputs, no zeroing",
    bi(layer("LSTM", 4, return_state=True)),
    (3, 6, 3),
    masks=mask_from(["111100", "001111", "101101"]),
)
add(
    "bi_gru_mask_last_inner_zero_output_true",
    "Bidirectional forces zero_output_for_mask=return_sequences=False even if the config says True",
    bi(layer("GRU", 4, return_state=True, zero_output_for_mask=True)),
    (2, 6, 3),
    masks=mask_from(["111100", "001110"]),
)
add(
    "bi_gru_mask_none_seq",
    "Bidirectional(GRU) merge_mode=None with mask and return_sequences: both halves zeroed",
    bi(layer("GRU", 3, return_sequences=True), merge_mode=None),
    (2, 5, 3),
    masks=mask_from(["11010", "01110"]),
)
add(
    "bi_lstm_mask_all_masked_row",
    "Bidirectional(LSTM) with a fully masked row and initial states",
    bi(layer("LSTM", 3, return_state=True)),
    (2, 4, 3),
    masks=mask_from(["0000", "0110"]),
    initial_state=True,
)
add(
    "bi_lstm_initial_state",
    "Bidirectional(LSTM) initial_state order: [fh, fc, bh, bc]",
    bi(layer("LSTM", 4, return_sequences=True, return_state=True)),
    SMALL,
    initial_state=True,
)
add(
    "bi_gru_initial_state_mask",
    "Bidirectional(GRU) with initial_state [fh, bh] and a mask",
    bi(layer("GRU", 4, return_sequences=True, return_state=True)),
    (2, 5, 3),
    masks=mask_from(["11100", "01111"]),
    initial_state=True,
)
add(
    "bi_lstm_backward_layer_config",
    "Bidirectional with an explicit backward_layer (go_backwards=True, other activations)",
    bi(
        layer("LSTM", 4, name="forward_lstm", return_sequences=True, return_state=True),
        backward_layer=layer(
            "LSTM",
            4,
            name="backward_lstm",
            activation="relu",
            recurrent_activation="hard_sigmoid",
            go_backwards=True,
            return_sequences=True,
            return_state=True,
        ),
    ),
    SMALL,
)
add(
    "bi_backward_layer_other_units",
    "Bidirectional concat with a backward GRU(2) next to a forward GRU(3)",
    bi(
        layer("GRU", 3, name="forward_gru", return_sequences=True),
        backward_layer=layer("GRU", 2, name="backward_gru", go_backwards=True, return_sequences=True),
    ),
    SMALL,
)
add(
    "bi_rnn_grucell",
    "Bidirectional(RNN(GRUCell)) concat",
    bi(rnn(cell("GRU", 3), return_sequences=True, return_state=True)),
    SMALL,
)
add(
    "bi_lstm_hard_sigmoid_keras2",
    "tf.keras 2.4 Bidirectional(LSTM recurrent_activation='hard_sigmoid')",
    bi(keras2(layer("LSTM", 3, recurrent_activation="hard_sigmoid", return_sequences=True))),
    SMALL,
    keras_version=TF_KERAS2,
)
add(
    "bi_lstm_T1_batch1",
    "Bidirectional(LSTM) single step, batch 1",
    bi(layer("LSTM", 3, return_sequences=True, return_state=True)),
    (1, 1, 2),
)
add(
    "bi_lstm_large",
    "Bidirectional(LSTM(32)) concat, batch 3, T 20, D 16",
    bi(layer("LSTM", 32, return_sequences=True)),
    (3, 20, 16),
)

# --- Generic RNN ------------------------------------------------------------------------------
add(
    "rnn_lstmcell",
    "RNN(LSTMCell): same equations as LSTM, return_state [out, h, c]",
    rnn(cell("LSTM", 4), return_sequences=True, return_state=True),
    SMALL,
)
add(
    "rnn_grucell_reset_before",
    "RNN(GRUCell reset_after=False)",
    rnn(cell("GRU", 4, reset_after=False), return_state=True),
    SMALL,
)
add(
    "rnn_simplernncell_go_backwards",
    "RNN(SimpleRNNCell) go_backwards",
    rnn(cell("SimpleRNN", 4), return_sequences=True, go_backwards=True),
    SMALL,
)
add(
    "rnn_stacked_lstm_list",
    "RNN([LSTMCell(4), LSTMCell(3)]) return_state: [out, h1, c1, h2, c2]",
    rnn([cell("LSTM", 4), cell("LSTM", 3)], return_sequences=True, return_state=True),
    SMALL,
)
add(
    "rnn_stacked_mixed_list",
    "RNN([SimpleRNNCell(3), GRUCell(4), LSTMCell(2)]) return_state: [out, h1, h2, h3, c3]",
    rnn([cell("SimpleRNN", 3), cell("GRU", 4), cell("LSTM", 2)], return_state=True),
    SMALL,
)
add(
    "rnn_stacked_cells_wrapper",
    "RNN(StackedRNNCells([GRUCell(3), GRUCell(3, reset_after=False)])), the form Keras saves for a list of cells",
    rnn([cell("GRU", 3), cell("GRU", 3, reset_after=False)], stacked_wrapper=True, return_sequences=True, return_state=True),
    SMALL,
)
add(
    "rnn_stacked_mask",
    "stacked LSTM cells with a mask: every cell's states frozen at masked steps",
    rnn([cell("LSTM", 3), cell("LSTM", 3)], return_sequences=True, return_state=True),
    (2, 6, 3),
    masks=mask_from(["011011", "111100"]),
)
add(
    "rnn_stacked_initial_state",
    "stacked cells with initial_state given flattened cell by cell [h1, c1, h2]",
    rnn([cell("LSTM", 3), cell("GRU", 2)], return_sequences=True, return_state=True),
    SMALL,
    initial_state=True,
)
add(
    "rnn_stacked_go_backwards",
    "stacked cells with go_backwards",
    rnn([cell("GRU", 3), cell("SimpleRNN", 2)], return_sequences=True, return_state=True, go_backwards=True),
    SMALL,
)
add(
    "rnn_stacked_stateful",
    "stacked cells, stateful across two calls",
    rnn([cell("LSTM", 3), cell("LSTM", 2)], stateful=True, return_state=True),
    (2, 3, 3),
    calls=2,
)


# --- Wide layers ------------------------------------------------------------------------------
# 37 units span three 16-unit slices (the unit split of threaded kernels) and end mid-vector;
# 48 make three whole slices. Weights ±0.2 keep a recurrence this wide contractive.
WIDE_MASK = mask_from(["11011110", "01111011", "11111100"])
for kind, kw, tag in [
    ("LSTM", {}, "lstm"),
    ("GRU", {"reset_after": True}, "gru_reset_after"),
    ("GRU", {"reset_after": False}, "gru_reset_before"),
    ("SimpleRNN", {}, "simplernn"),
]:
    extra = "".join(f", {k}={v}" for k, v in kw.items())
    add(
        f"wide_{tag}_37_units_mask",
        f"{kind}(37{extra}) batch 3, T 8, masked steps: units over three 16-unit slices, "
        "return_sequences and return_state",
        layer(kind, 37, return_sequences=True, return_state=True, **kw),
        (3, 8, 5),
        masks=WIDE_MASK,
        weight_range=0.2,
    )
add(
    "wide_lstm_48_units_backwards_initial_state",
    "LSTM(48) go_backwards from random initial states: three whole 16-unit slices",
    layer("LSTM", 48, return_state=True, go_backwards=True),
    (2, 7, 6),
    initial_state=True,
    weight_range=0.2,
)
add(
    "wide_bi_gru_37_units_concat_mask",
    "Bidirectional(GRU(37)) concat with a mask: both directions over three 16-unit slices",
    bi(layer("GRU", 37, return_sequences=True)),
    (2, 6, 4),
    masks=mask_from(["111011", "011111"]),
    weight_range=0.2,
)

# --- ConvLSTM ---------------------------------------------------------------------------------
# Inputs (B, T, *spatial, channels), channels last. The input convolution takes strides, padding
# and dilation; the recurrent one is always `same`, stride 1.
CONV_MASK = mask_from(["1101", "0111"])
add(
    "convlstm2d_same_seq_state",
    "ConvLSTM2D(3, 3x3, padding same) return_sequences and return_state: [seq, h, c]",
    conv_lstm(2, 3, 3, padding="same", return_sequences=True, return_state=True),
    (2, 4, 5, 4, 2),
)
add(
    "convlstm2d_valid_strides_state",
    "ConvLSTM2D(3, 3x2, padding valid, strides (2, 1)): states on the strided output grid",
    conv_lstm(2, 3, (3, 2), strides=[2, 1], return_state=True),
    (2, 3, 7, 5, 2),
)
add(
    "convlstm2d_same_strides_even_kernel",
    "ConvLSTM2D(2, 2x2, padding same, strides 2): TensorFlow's uneven same padding, odd sizes",
    conv_lstm(2, 2, 2, padding="same", strides=[2, 2], return_sequences=True),
    (1, 3, 5, 7, 3),
)
add(
    "convlstm2d_dilation_same",
    "ConvLSTM2D(2, 3x3, dilation_rate 2, padding same): dilation on the input convolution only",
    conv_lstm(2, 2, 3, padding="same", dilation_rate=[2, 2], return_sequences=True, return_state=True),
    (2, 3, 6, 6, 2),
)
add(
    "convlstm2d_dilation_valid",
    "ConvLSTM2D(2, 2x3, dilation_rate (2, 1), padding valid)",
    conv_lstm(2, 2, (2, 3), dilation_rate=[2, 1], return_state=True),
    (2, 3, 6, 5, 2),
)
add(
    "convlstm2d_mask_seq_state",
    "ConvLSTM2D with a mask: masked steps keep h and c and repeat the previous output",
    conv_lstm(2, 2, 3, padding="same", return_sequences=True, return_state=True),
    (2, 4, 4, 4, 2),
    masks=CONV_MASK,
)
add(
    "convlstm2d_zero_output_for_mask",
    "ConvLSTM2D zero_output_for_mask: masked steps output zeros, the last one included",
    conv_lstm(2, 2, 2, return_sequences=True, return_state=True, zero_output_for_mask=True),
    (2, 4, 4, 3, 2),
    masks=mask_from(["1110", "0101"]),
)
add(
    "convlstm2d_go_backwards_initial_state",
    "lone ConvLSTM2D go_backwards from random initial [h, c]: outputs in processing order",
    conv_lstm(2, 3, 2, padding="same", return_sequences=True, return_state=True, go_backwards=True),
    (2, 4, 3, 4, 2),
    initial_state=True,
)
add(
    "convlstm2d_hard_sigmoid_keras2",
    "tf.keras 2 ConvLSTM2D: recurrent_activation hard_sigmoid means clip(0.2x + 0.5, 0, 1)",
    conv_lstm(2, 3, 3, padding="same", recurrent_activation="hard_sigmoid", return_state=True),
    (2, 3, 4, 4, 2),
    keras_version=TF_KERAS2,
)
add(
    "convlstm2d_no_bias",
    "ConvLSTM2D use_bias=False: weights are [kernel, recurrent_kernel] only",
    conv_lstm(2, 2, 3, use_bias=False, return_sequences=True),
    (2, 3, 5, 5, 2),
)
add(
    "convlstm2d_relu_1x1",
    "ConvLSTM2D(4, 1x1, relu) on a 1x1 grid, as the ocean forecaster uses it",
    conv_lstm(2, 4, 1, activation="relu", return_state=True),
    (2, 3, 1, 1, 5),
)
add(
    "convlstm2d_stateful_two_calls",
    "stateful ConvLSTM2D: [h, c] carried from the first call into the second",
    conv_lstm(2, 2, 3, padding="same", stateful=True, return_sequences=True, return_state=True),
    (2, 3, 4, 4, 2),
    calls=2,
)
add(
    "convlstm1d_valid_mask_seq_state",
    "ConvLSTM1D(3, 3, padding valid) with a mask, return_sequences and return_state",
    conv_lstm(1, 3, 3, return_sequences=True, return_state=True),
    (2, 4, 7, 3),
    masks=CONV_MASK,
)
add(
    "convlstm1d_same_strides_backwards",
    "ConvLSTM1D(2, 4, padding same, strides 3) go_backwards, last output",
    conv_lstm(1, 2, 4, padding="same", strides=[3], go_backwards=True, return_state=True),
    (2, 5, 8, 2),
)
add(
    "convlstm3d_same_seq_state",
    "ConvLSTM3D(2, 2x3x3, padding same) return_sequences and return_state",
    conv_lstm(3, 2, (2, 3, 3), padding="same", return_sequences=True, return_state=True),
    (2, 3, 3, 4, 4, 2),
)
add(
    "convlstm3d_valid_strides_mask_initial_state",
    "ConvLSTM3D(2, 2x2x2, valid, strides (1, 2, 2)) with a mask and random initial [h, c]",
    conv_lstm(3, 2, 2, strides=[1, 2, 2], return_state=True),
    (2, 4, 3, 5, 5, 2),
    masks=CONV_MASK,
    initial_state=True,
)
add(
    "bi_convlstm2d_concat_seq_mask",
    "Bidirectional(ConvLSTM2D) concat with a mask: channels concatenated, backward half aligned",
    bi(conv_lstm(2, 2, 3, padding="same", return_sequences=True)),
    (2, 4, 4, 4, 2),
    masks=CONV_MASK,
)
add(
    "bi_convlstm1d_sum_state_initial_state",
    "Bidirectional(ConvLSTM1D, merge_mode sum) return_state from random initial states",
    bi(conv_lstm(1, 3, 2, return_state=True), merge_mode="sum"),
    (2, 3, 6, 2),
    initial_state=True,
)


def _conv_constant_case():
    name = "convlstm2d_unit_forget_bias_constant_init"
    layer_json = conv_lstm(
        2,
        2,
        2,
        padding="same",
        return_state=True,
        kernel_initializer=init("Constant", value=0.1),
        recurrent_initializer=init("Constant", value=-0.05),
        bias_initializer=init("Zeros"),
    )
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    CASES[name] = dict(
        description="ConvLSTM2D weights from constant initializers: unit_forget_bias puts 1 in the "
        "forget slice of the bias",
        layer=layer_json,
        keras_version=KERAS3,
        weights=None,
        calls=[(f32(rng.uniform(-1.0, 1.0, (2, 3, 3, 3, 2))), None, None)],
    )


_conv_constant_case()

# --- The seed ---------------------------------------------------------------------------------
def seed_layer(return_sequences):
    return bi(
        layer(
            "LSTM",
            3,
            return_sequences=return_sequences,
            return_state=True,
            kernel_initializer=init("Constant", value=0.1),
            recurrent_initializer=init("Constant", value=0.1),
            bias_initializer=init("Constant", value=0),
        )
    )


def seed_spec(return_sequences):
    return dict(
        description="",
        layer=seed_layer(return_sequences),
        keras_version=None,
        weights=None,
        calls=[(f32(SEED_INPUT), None, None)],
    )


def build_all():
    """name -> case dict."""
    out = {}
    worst = (0.0, "")
    for name, spec in CASES.items():
        truth = compute(spec, np.float64)
        worst = max(worst, (check_float32(name, truth, spec), name))
        out[name] = to_json(name, spec, truth)
    print(f"float32 run of the same equations uses at most {worst[0]:.4f} of the tolerance ({worst[1]})")

    # Seed, as printed by Keras: output and both h states are the printout; the cell states were
    # not printed, so they come from the reference and say so.
    spec = seed_spec(False)
    spec["description"] = (
        "seed: Bidirectional(LSTM(3, return_state=True)) with Constant(0.1) kernels, Constant(0) bias "
        "(unit_forget_bias adds 1 to the forget slice); h values as printed by Keras"
    )
    truth = compute(spec, np.float64)[0]
    fw, bw = SEED_FORWARD_H, SEED_BACKWARD_H
    expected = [
        {"shape": [1, 6], "data": [fw] * 3 + [bw] * 3},
        {"shape": [1, 3], "data": [fw] * 3},
        dict(tensor64(truth[2]), source=SOURCE_NUMPY),
        {"shape": [1, 3], "data": [bw] * 3},
        dict(tensor64(truth[4]), source=SOURCE_NUMPY),
    ]
    out["seed_bidirectional_lstm"] = to_json(
        "seed_bidirectional_lstm", spec, None, source=SOURCE_SEED, expected_override=[expected]
    )

    spec = seed_spec(True)
    spec["description"] = (
        "seed with return_sequences=True: (1, 4, 6), backward half aligned to input time "
        "(its step 0 equals backward_h)"
    )
    truth = compute(spec, np.float64)
    check_float32("seed_bidirectional_lstm_return_sequences", truth, spec)
    out["seed_bidirectional_lstm_return_sequences"] = to_json(
        "seed_bidirectional_lstm_return_sequences", spec, truth
    )
    return out


CHECK_RTOL = 1e-9  # --check: float64 values from another BLAS agree to ~1e-12 relative
CHECK_ATOL = 1e-15  # ... and to ~1e-17 absolute where a sum cancels to almost zero


def first_difference(want, got, path="$"):
    """Where two parsed JSON values first differ beyond the --check tolerance, or None."""
    if isinstance(want, bool) or isinstance(got, bool):
        return None if want is got else f"{path}: {got!r} != {want!r}"
    if isinstance(want, int) and isinstance(got, int):  # shapes, counts, seeds: exact
        return None if want == got else f"{path}: {got!r} != {want!r}"
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        if math.isnan(want) or math.isnan(got):
            return None if math.isnan(want) and math.isnan(got) else f"{path}: {got!r} != {want!r}"
        if want == got or abs(want - got) <= CHECK_ATOL + CHECK_RTOL * max(abs(want), abs(got)):
            return None
        return f"{path}: {got!r} != {want!r} (relative difference {abs(want - got) / max(abs(want), abs(got)):.1e})"
    if isinstance(want, dict) and isinstance(got, dict):
        if list(want) != list(got):
            return f"{path}: keys {list(got)} != {list(want)}"
        for k in want:
            d = first_difference(want[k], got[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return f"{path}: length {len(got)} != {len(want)}"
        for i, (w, g) in enumerate(zip(want, got)):
            d = first_difference(w, g, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if type(want) is type(got) and want == got else f"{path}: {got!r} != {want!r}"


def main(argv):
    check_only = "--check" in argv
    cases = build_all()
    texts = {f"{name}.json": dumps(case) for name, case in sorted(cases.items())}
    if check_only:
        existing = {f for f in os.listdir(CASES_DIR) if f.endswith(".json")} if os.path.isdir(CASES_DIR) else set()
        bad = [f"{f}: {'missing' if f in texts else 'not generated'}" for f in sorted(existing ^ set(texts))]
        for f in sorted(existing & set(texts)):
            with open(os.path.join(CASES_DIR, f), encoding="utf-8") as fh:
                d = first_difference(json.loads(fh.read()), json.loads(texts[f]))
            if d:
                bad.append(f"{f}: {d}")
        if bad:
            print("out of date (generated vs file):\n  " + "\n  ".join(bad))
            return 1
        print(f"{len(texts)} cases up to date (numbers within {CHECK_RTOL:g} relative)")
        return 0
    os.makedirs(CASES_DIR, exist_ok=True)
    for f in os.listdir(CASES_DIR):
        if f.endswith(".json") and f not in texts:
            os.remove(os.path.join(CASES_DIR, f))
    total = 0
    for f, text in texts.items():
        with open(os.path.join(CASES_DIR, f), "w", encoding="utf-8") as fh:
            fh.write(text)
        total += len(text.encode())
    print(f"wrote {len(texts)} cases to {CASES_DIR} ({total / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

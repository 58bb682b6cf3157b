"""Gradient conformance cases: cases/gradients/*.json.

Each case is a layer, float32 weights, one call (input, optional mask and initial states) and
fixed float32 cotangents, one per tensor the layer returns; the loss is
``sum_i sum(returned_i * cotangent_i)``. The expected gradients of that loss w.r.t. the input,
every weight and every initial state are float64 central differences of the Keras equations in
``keras_ref.py`` (never rnnkit), taken at two step sizes that must agree.

    python3 packages/conformance/reference/generate_gradients.py [--check]
"""
import json
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import generate as G  # noqa: E402
import keras_ref as K  # noqa: E402

CASES_DIR = os.path.join(os.path.dirname(__file__), "..", "cases", "gradients")
TOLERANCE = {"atol": 1e-5, "rtol": 1e-4}
STEPS = (1e-4, 1e-5)  # central differences; their error is O(step²) of smooth equations
AGREE = 1e-6  # the two step sizes must agree to this, relative to the gradient scale (atol is 1e-5)


def spec(name, description, layer_json, shape, mask=None, initial_state=False):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    B, T, D = shape
    ref = K.build_layer(layer_json)
    weights = [G.f32(rng.uniform(-0.5, 0.5, s)) for s in ref.weight_shapes(D)]
    x = G.f32(rng.uniform(-1.0, 1.0, shape))
    m = None if mask is None else np.asarray(mask, bool)
    states = [G.f32(rng.uniform(-0.5, 0.5, s)) for s in ref.state_shapes(shape)] if initial_state else None
    outputs = forward(layer_json, weights, x, m, states)
    cotangents = [G.f32(rng.uniform(-1.0, 1.0, o.shape)) for o in outputs]
    return dict(name=name, description=description, layer=layer_json, weights=weights, x=x,
                mask=m, states=states, cotangents=cotangents)


def forward(layer_json, weights, x, mask, states):
    ref = K.build_layer(layer_json)
    ref.set_weights([np.asarray(w, np.float64) for w in weights], x.shape[-1])
    st = None if states is None else [np.asarray(s, np.float64) for s in states]
    return [np.asarray(o, np.float64) for o in ref(np.asarray(x, np.float64), mask, st)]


def gradients(s, step):
    """Central differences of the loss w.r.t. input, weights and initial states, in float64."""
    params = [np.asarray(s["x"], np.float64)] + [np.asarray(w, np.float64) for w in s["weights"]]
    params += [np.asarray(v, np.float64) for v in (s["states"] or [])]
    n_w = len(s["weights"])

    def loss(values):
        x, ws, st = values[0], values[1:1 + n_w], values[1 + n_w:]
        outs = forward(s["layer"], ws, x, s["mask"], st if s["states"] is not None else None)
        return sum(float(np.sum(o * c)) for o, c in zip(outs, s["cotangents"]))

    grads = []
    for k, p in enumerate(params):
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            values = [q.copy() for q in params]
            values[k][i] = p[i] + step
            plus = loss(values)
            values[k][i] = p[i] - step
            g[i] = (plus - loss(values)) / (2 * step)
        grads.append(g)
    return grads


def build(s):
    coarse, fine = (gradients(s, h) for h in STEPS)
    for a, b in zip(coarse, fine):
        scale = max(1.0, float(np.max(np.abs(b))))
        if float(np.max(np.abs(a - b))) > AGREE * scale:
            raise AssertionError(f"{s['name']}: step sizes disagree ({np.max(np.abs(a - b)):.3g})")
    n_w = len(s["weights"])
    case = {
        "name": s["name"],
        "description": s["description"],
        "source": "numpy-float64-central-differences-of-keras-equations",
        "layer": s["layer"],
        "weights": [G.tensor32(w) for w in s["weights"]],
        "call": {"input": G.tensor32(s["x"])},
        "cotangents": [G.tensor32(c) for c in s["cotangents"]],
        "expected": {
            "input": G.tensor64(fine[0]),
            "weights": [G.tensor64(g) for g in fine[1:1 + n_w]],
        },
        "tolerance": dict(TOLERANCE),
    }
    if s["mask"] is not None:
        case["call"]["mask"] = G.mask_tensor(s["mask"])
    if s["states"] is not None:
        case["call"]["initial_state"] = [G.tensor32(v) for v in s["states"]]
        case["expected"]["initial_state"] = [G.tensor64(g) for g in fine[1 + n_w:]]
    return case


MASK = [[1, 1, 0, 1, 1], [0, 1, 1, 1, 0]]


def specs():
    L = G.layer
    yield spec("lstm_seq", "LSTM, return_sequences", L("LSTM", 4, return_sequences=True), (2, 5, 3))
    yield spec("lstm_last_state_initial", "LSTM, last output and states, initial states",
               L("LSTM", 4, return_state=True), (2, 5, 3), initial_state=True)
    yield spec("lstm_mask_backwards", "LSTM, mask, go_backwards, return_sequences",
               L("LSTM", 3, return_sequences=True, go_backwards=True), (2, 5, 3), mask=MASK)
    yield spec("gru_reset_after_seq_state", "GRU reset_after, sequences and state, initial state",
               L("GRU", 4, return_sequences=True, return_state=True), (2, 5, 3), initial_state=True)
    yield spec("gru_reset_before_mask", "GRU reset_after=False, mask, last output",
               L("GRU", 4, reset_after=False), (2, 5, 3), mask=MASK)
    yield spec("gru_reset_after_backwards_mask", "GRU reset_after, go_backwards, mask, zero_output_for_mask",
               L("GRU", 3, return_sequences=True, go_backwards=True, zero_output_for_mask=True),
               (2, 5, 3), mask=MASK)
    yield spec("simplernn_mask_state", "SimpleRNN, mask, sequences and state, initial state",
               L("SimpleRNN", 4, return_sequences=True, return_state=True), (2, 5, 3),
               mask=MASK, initial_state=True)
    yield spec("simplernn_backwards_last", "SimpleRNN, go_backwards, last output",
               L("SimpleRNN", 4, go_backwards=True), (2, 5, 3))
    # Other activations (their derivatives), units that do not fill the kernels' column panels.
    yield spec("lstm_elu_hard_sigmoid_mask_state", "LSTM elu / hard_sigmoid, mask, sequences and states, initial states",
               L("LSTM", 5, activation="elu", recurrent_activation="hard_sigmoid", return_sequences=True,
                 return_state=True), (2, 5, 3), mask=MASK, initial_state=True)
    yield spec("gru_reset_before_gelu_backwards_state", "GRU reset_after=False gelu, go_backwards, sequences and state, initial state",
               L("GRU", 5, activation="gelu", reset_after=False, return_sequences=True, return_state=True,
                 go_backwards=True), (2, 5, 3), initial_state=True)
    yield spec("gru_reset_after_swish_mask_zero_output", "GRU reset_after swish / hard_sigmoid, mask, zero_output_for_mask",
               L("GRU", 5, activation="swish", recurrent_activation="hard_sigmoid", return_sequences=True,
                 zero_output_for_mask=True), (2, 5, 3), mask=MASK)
    yield spec("simplernn_mish_mask_zero_output", "SimpleRNN mish, mask, zero_output_for_mask, sequences",
               L("SimpleRNN", 5, activation="mish", return_sequences=True, zero_output_for_mask=True),
               (2, 5, 3), mask=MASK)


def main(argv):
    cases = {c["name"]: c for c in map(build, specs())}
    texts = {f"{n}.json": G.dumps(c) for n, c in sorted(cases.items())}
    if "--check" in argv:
        bad = []
        for f, text in texts.items():
            path = os.path.join(CASES_DIR, f)
            old = json.load(open(path, encoding="utf-8")) if os.path.exists(path) else None
            d = "missing" if old is None else G.first_difference(old, json.loads(text))
            if d:
                bad.append(f"{f}: {d}")
        print("\n".join(bad) or f"{len(texts)} gradient cases up to date")
        return 1 if bad else 0
    os.makedirs(CASES_DIR, exist_ok=True)
    for f, text in texts.items():
        with open(os.path.join(CASES_DIR, f), "w", encoding="utf-8") as fh:
            fh.write(text)
    print(f"wrote {len(texts)} gradient cases to {CASES_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

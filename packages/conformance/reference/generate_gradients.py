"""Gradient conformance cases: cases/gradients/*.json.

Each case is a layer, float32 weights, one call (input, optional mask and initial states) and
fixed float32 cotangents, one per tensor the layer returns; the loss is
``sum_i sum(returned_i * cotangent_i)``. The expected gradients of that loss w.r.t. the input,
every weight and every initial state are float64 central differences of the Keras equations in
``keras_ref.py`` (never rnnkit), taken at two step sizes that must agree.

Bidirectional cases take the loss over every returned tensor (both halves when merge_mode is
None, the states when return_state). Dropout cases call the layer in training: the dropout masks
are drawn the way rnnkit's cells draw them (mulberry32 of the config's ``seed``, the input mask
then the recurrent mask, one generator per direction), re-implemented here, written into the case
for reading, and applied as Keras 3 applies them: the input mask to every step's input, the
recurrent mask to the previous ``h`` entering the step (for GRU, its interpolation too). A layer
that drew other masks, or a backward pass that used other masks than its forward pass, misses
the expected gradients.

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
    """``shape`` = (B, T, D), or (B, T, *spatial, C) for ConvLSTM."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    ref = K.build_layer(layer_json)
    weights = [G.f32(rng.uniform(-0.5, 0.5, s)) for s in ref.weight_shapes(shape[-1])]
    x = G.f32(rng.uniform(-1.0, 1.0, shape))
    m = None if mask is None else np.asarray(mask, bool)
    states = [G.f32(rng.uniform(-0.5, 0.5, s)) for s in ref.state_shapes(shape)] if initial_state else None
    dropout = dropout_masks(layer_json, shape)
    outputs = forward(layer_json, weights, x, m, states, dropout)
    cotangents = [G.f32(rng.uniform(-1.0, 1.0, o.shape)) for o in outputs]
    return dict(name=name, description=description, layer=layer_json, weights=weights, x=x,
                mask=m, states=states, cotangents=cotangents, dropout=dropout)


def mulberry32(seed):
    """rnnkit's seeded generator (``initializers/random.ts``), in unsigned 32-bit arithmetic."""
    a = seed & 0xFFFFFFFF

    def uniform():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return uniform


def _directions(layer_json):
    """(layer JSON, RNNLayer attribute path) of each direction, forward first."""
    if layer_json["class_name"] == "Bidirectional":
        cfg = layer_json["config"]
        return [(cfg["layer"], "forward"), (cfg.get("backward_layer") or cfg["layer"], "backward")]
    return [(layer_json, None)]


def dropout_masks(layer_json, shape):
    """Per direction ``(input mask or None, recurrent mask or None)``, or None without dropout.

    A mask holds 0 and float32 ``1 / (1 - rate)``; the input mask is ``[B, *step]``, the recurrent
    one the shape of ``h``, both the same at every step.
    """
    out = []
    for inner, _ in _directions(layer_json):
        cfg = inner["config"]
        rate, rec_rate = float(cfg.get("dropout", 0.0)), float(cfg.get("recurrent_dropout", 0.0))
        if rate == 0 and rec_rate == 0:
            out.append((None, None))
            continue
        uniform = mulberry32(int(cfg["seed"]))

        def draw(mask_shape, r):
            n = int(np.prod(mask_shape))
            scale = np.float32(1 / (1 - r))
            return np.array([scale if uniform() >= r else 0 for _ in range(n)], np.float32).reshape(mask_shape)

        h_shape = K.build_layer(inner).state_shapes(shape)[0]
        step_shape = (shape[0],) + tuple(shape[2:])
        out.append((draw(step_shape, rate) if rate > 0 else None, draw(h_shape, rec_rate) if rec_rate > 0 else None))
    return out if any(m is not None for pair in out for m in pair) else None


def _apply_dropout(rnn_layer, input_mask, recurrent_mask):
    """Keras 3: ``inputs * dp_mask`` and ``h_tm1 * rec_dp_mask`` at the start of every step."""
    inner = rnn_layer._step

    def step(x, states):
        if input_mask is not None:
            x = x * input_mask
        if recurrent_mask is not None:
            states = [states[0] * recurrent_mask] + list(states[1:])
        return inner(x, states)

    rnn_layer._step = step


def forward(layer_json, weights, x, mask, states, dropout=None):
    ref = K.build_layer(layer_json)
    ref.set_weights([np.asarray(w, np.float64) for w in weights], x.shape[-1])
    if dropout is not None:
        for (_, attr), (input_mask, recurrent_mask) in zip(_directions(layer_json), dropout):
            rnn_layer = ref if attr is None else getattr(ref, attr)
            _apply_dropout(rnn_layer, *(None if m is None else np.asarray(m, np.float64)
                                        for m in (input_mask, recurrent_mask)))
    st = None if states is None else [np.asarray(s, np.float64) for s in states]
    return [np.asarray(o, np.float64) for o in ref(np.asarray(x, np.float64), mask, st)]


def gradients(s, step):
    """Central differences of the loss w.r.t. input, weights and initial states, in float64."""
    params = [np.asarray(s["x"], np.float64)] + [np.asarray(w, np.float64) for w in s["weights"]]
    params += [np.asarray(v, np.float64) for v in (s["states"] or [])]
    n_w = len(s["weights"])

    def loss(values):
        x, ws, st = values[0], values[1:1 + n_w], values[1 + n_w:]
        outs = forward(s["layer"], ws, x, s["mask"], st if s["states"] is not None else None,
                       s["dropout"])
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
    if s["dropout"] is not None:
        case["call"]["training"] = True
        case["dropout_masks"] = [
            {k: G.tensor32(m) for k, m in (("input", pair[0]), ("recurrent", pair[1])) if m is not None}
            for pair in s["dropout"]
        ]
    if s["states"] is not None:
        case["call"]["initial_state"] = [G.tensor32(v) for v in s["states"]]
        case["expected"]["initial_state"] = [G.tensor64(g) for g in fine[1 + n_w:]]
    return case


MASK = [[1, 1, 0, 1, 1], [0, 1, 1, 1, 0]]
CONV_MASK = [[1, 0, 1], [0, 1, 1]]


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

    # Bidirectional: every merge mode, the loss over both halves (None) and over the states.
    B = G.bi
    yield spec("bi_lstm_concat_seq_state_mask_initial",
               "Bidirectional(LSTM) concat, sequences and states, mask, initial states of both directions",
               B(L("LSTM", 3, return_sequences=True, return_state=True)), (2, 5, 3), mask=MASK,
               initial_state=True)
    yield spec("bi_lstm_sum_last_initial", "Bidirectional(LSTM) sum, last outputs, initial states",
               B(L("LSTM", 3), "sum"), (2, 5, 3), initial_state=True)
    yield spec("bi_lstm_none_seq_state_mask",
               "Bidirectional(LSTM) merge_mode None, sequences and states, mask: loss over both halves",
               B(L("LSTM", 3, return_sequences=True, return_state=True), None), (2, 5, 3), mask=MASK)
    yield spec("bi_lstm_mul_last_mask", "Bidirectional(LSTM) mul, last outputs, mask",
               B(L("LSTM", 3), "mul"), (2, 5, 3), mask=MASK)
    yield spec("bi_lstm_ave_seq_initial", "Bidirectional(LSTM) ave, sequences, initial states",
               B(L("LSTM", 3, return_sequences=True), "ave"), (2, 5, 3), initial_state=True)
    yield spec("bi_gru_reset_after_concat_last_state_mask_initial",
               "Bidirectional(GRU reset_after) concat, last outputs and states, mask, initial states",
               B(L("GRU", 3, return_state=True)), (2, 5, 3), mask=MASK, initial_state=True)
    yield spec("bi_gru_reset_after_mul_seq_mask", "Bidirectional(GRU reset_after) mul, sequences, mask",
               B(L("GRU", 3, return_sequences=True), "mul"), (2, 5, 3), mask=MASK)
    yield spec("bi_gru_reset_after_none_last_initial",
               "Bidirectional(GRU reset_after) merge_mode None, last outputs, initial states",
               B(L("GRU", 3), None), (2, 5, 3), initial_state=True)
    yield spec("bi_gru_reset_before_sum_seq_state_mask",
               "Bidirectional(GRU reset_after=False) sum, sequences and states, mask",
               B(L("GRU", 3, reset_after=False, return_sequences=True, return_state=True), "sum"),
               (2, 5, 3), mask=MASK)
    yield spec("bi_gru_reset_before_ave_last_initial",
               "Bidirectional(GRU reset_after=False) ave, last outputs, initial states",
               B(L("GRU", 3, reset_after=False), "ave"), (2, 5, 3), initial_state=True)
    # ConvLSTM: 3 steps, 2 channels, 3 filters, kernel 3; both paddings, masks, go_backwards.
    C = G.conv_lstm
    yield spec("convlstm2d_same_seq_state_initial",
               "ConvLSTM2D(3, 3x3, same) sequences and states, initial states",
               C(2, 3, 3, padding="same", return_sequences=True, return_state=True), (2, 3, 5, 5, 2),
               initial_state=True)
    yield spec("convlstm2d_valid_mask_backwards",
               "ConvLSTM2D(3, 3x3, valid) go_backwards, mask, sequences",
               C(2, 3, 3, return_sequences=True, go_backwards=True), (2, 3, 5, 5, 2), mask=CONV_MASK)
    yield spec("convlstm1d_same_last_state_mask_initial",
               "ConvLSTM1D(3, 3, same) last output and states, mask, initial states",
               C(1, 3, 3, padding="same", return_state=True), (2, 3, 5, 2), mask=CONV_MASK,
               initial_state=True)
    yield spec("convlstm1d_valid_backwards_seq_zero_output",
               "ConvLSTM1D(3, 3, valid) go_backwards, mask, zero_output_for_mask, sequences",
               C(1, 3, 3, return_sequences=True, go_backwards=True, zero_output_for_mask=True),
               (2, 3, 5, 2), mask=CONV_MASK)
    yield spec("convlstm2d_dilation_same_state",
               "ConvLSTM2D(2, 3x3, same, dilation_rate 2) last output and states",
               C(2, 2, 3, padding="same", dilation_rate=[2, 2], return_state=True), (2, 3, 6, 6, 2))
    yield spec("convlstm1d_strides_even_kernel_same_seq",
               "ConvLSTM1D(3, 2, same, strides 2): TensorFlow's uneven same padding, sequences, initial states",
               C(1, 3, 2, padding="same", strides=[2], return_sequences=True), (2, 3, 7, 2),
               initial_state=True)
    yield spec("convlstm3d_same_seq_state_initial",
               "ConvLSTM3D(2, 3x3x3, same) sequences and states, initial states",
               C(3, 2, 3, padding="same", return_sequences=True, return_state=True), (2, 3, 3, 4, 4, 2),
               initial_state=True)
    yield spec("convlstm3d_valid_strides_mask_backwards",
               "ConvLSTM3D(2, 2x3x2, valid, strides 1x2x1) go_backwards, mask, last output",
               C(3, 2, [2, 3, 2], strides=[1, 2, 1], go_backwards=True), (2, 3, 3, 5, 4, 2),
               mask=CONV_MASK)
    # Dropout in training: the masks rnnkit draws from the seed, in the forward and backward pass.
    yield spec("lstm_dropout_recurrent_dropout_mask_state",
               "LSTM dropout 0.25, recurrent_dropout 0.25 in training, mask, sequences and states, initial states",
               L("LSTM", 4, return_sequences=True, return_state=True, dropout=0.25, recurrent_dropout=0.25,
                 seed=1234), (2, 5, 3), mask=MASK, initial_state=True)
    yield spec("gru_reset_after_dropout_backwards",
               "GRU reset_after dropout 0.3, recurrent_dropout 0.4 in training, go_backwards, sequences",
               L("GRU", 4, return_sequences=True, go_backwards=True, dropout=0.3, recurrent_dropout=0.4,
                 seed=77), (2, 5, 3))
    yield spec("gru_reset_before_recurrent_dropout_state_mask",
               "GRU reset_after=False recurrent_dropout 0.3 in training, mask, last output and state, initial state",
               L("GRU", 4, reset_after=False, return_state=True, recurrent_dropout=0.3, seed=5), (2, 5, 3),
               mask=MASK, initial_state=True)
    yield spec("simplernn_dropout_recurrent_dropout_seq",
               "SimpleRNN dropout 0.25, recurrent_dropout 0.5 in training, sequences",
               L("SimpleRNN", 4, return_sequences=True, dropout=0.25, recurrent_dropout=0.5, seed=9),
               (2, 5, 3))
    yield spec("bi_lstm_dropout_concat_seq_mask",
               "Bidirectional(LSTM) dropout 0.25, recurrent_dropout 0.25 in training, concat, sequences, mask",
               B(L("LSTM", 3, return_sequences=True, dropout=0.25, recurrent_dropout=0.25, seed=42)),
               (2, 5, 3), mask=MASK)
    yield spec("convlstm2d_dropout_recurrent_dropout_seq_state",
               "ConvLSTM2D(3, 3x3, same) dropout 0.25, recurrent_dropout 0.25 in training, sequences and states",
               C(2, 3, 3, padding="same", return_sequences=True, return_state=True, dropout=0.25,
                 recurrent_dropout=0.25, seed=2024), (2, 3, 5, 5, 2))


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

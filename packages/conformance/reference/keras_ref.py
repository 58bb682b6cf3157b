"""Independent numpy reference of the Keras recurrent layers (Keras 3 semantics, TF backend).

Written from the Keras equations, not from rnnkit code. Everything runs in float64 by default;
pass ``dtype=np.float32`` to :func:`build_layer` to get a float32 run of the same equations (used
only to check that float32 execution stays inside the conformance tolerance).

Layer JSON follows Keras ``get_config()`` (snake_case): ``{"class_name": ..., "config": {...}}``
for ``SimpleRNN``, ``LSTM``, ``GRU``, ``RNN`` (with a cell, a list of cells or a
``StackedRNNCells``), ``ConvLSTM1D/2D/3D`` (channels last) and ``Bidirectional``. Weights are numpy arrays in Keras ``get_weights()``
order. Masks are boolean ``[B, T]`` (True = keep).

Semantics implemented (checked against ``keras/src/backend/tensorflow/rnn.py``,
``keras/src/layers/rnn/*.py``):

- a masked step keeps every state; its output is the previous output (zeros before the first
  unmasked step), or zeros with ``zero_output_for_mask``; masking selects, never multiplies;
- ``return_sequences=False`` returns the last element of the processed output sequence;
- ``go_backwards`` on a lone layer returns outputs in processing order;
- Bidirectional: backward layer = layer config with ``go_backwards=True`` (or ``backward_layer``),
  both halves get ``zero_output_for_mask = return_sequences``, the backward sequence is flipped
  back before merging, states are forward then backward, ``initial_state`` is split in halves;
- stacked cells: states are flattened cell by cell (``[out, h1, c1, h2, c2]``);
- ConvLSTM: the input convolution uses ``strides``, ``padding`` and ``dilation_rate``, the
  recurrent one is always ``same`` with stride 1 and no dilation; states are
  ``[B, *output_spatial, filters]``; tf.keras 2 defaults ``recurrent_activation`` to its
  ``hard_sigmoid``.
"""

from __future__ import annotations

import math

import numpy as np

# ---------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    # Stable in both tails.
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def _softplus(x):
    return np.logaddexp(np.zeros_like(x), x)


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


ACTIVATIONS = {
    "linear": lambda x: x,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "elu": _elu,
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "exponential": np.exp,
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "gelu": lambda x: 0.5 * x * (1 + _erf(np.asarray(x, np.float64) / math.sqrt(2)).astype(x.dtype)),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "log_sigmoid": lambda x: -_softplus(-x),
    # Keras 3: relu6(x + 3) / 6.
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    # Keras <= 2.15 and standalone Keras 2.x.
    "hard_sigmoid_keras2": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
}


def keras_major(keras_version: str | None) -> int:
    """Major version of a saved ``keras_version`` string; no version means Keras 3."""
    if not keras_version:
        return 3
    head = str(keras_version).split(".")[0]
    return int(head) if head.isdigit() else 3


def get_activation(name, keras_version: str | None = None):
    """Activation by Keras name; ``hard_sigmoid`` follows the version that saved the config."""
    if name is None:
        name = "linear"
    if isinstance(name, dict):  # {"class_name": "function", "config": "tanh", ...}
        name = name.get("config")
    if name == "hard_sigmoid" and keras_major(keras_version) < 3:
        name = "hard_sigmoid_keras2"
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------

GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
CELL_KIND = {
    "SimpleRNN": "SimpleRNN",
    "SimpleRNNCell": "SimpleRNN",
    "LSTM": "LSTM",
    "LSTMCell": "LSTM",
    "GRU": "GRU",
    "GRUCell": "GRU",
}


class Cell:
    """One recurrent cell with explicit weights (Keras implementation 2 equations)."""

    def __init__(self, kind, config, keras_version, dtype):
        self.kind = kind
        self.units = int(config["units"])
        self.act = get_activation(config.get("activation", "tanh"), keras_version)
        self.rec_act = get_activation(config.get("recurrent_activation", "sigmoid"), keras_version)
        self.use_bias = bool(config.get("use_bias", True))
        self.reset_after = bool(config.get("reset_after", True)) if kind == "GRU" else False
        self.unit_forget_bias = bool(config.get("unit_forget_bias", True))
        self.config = config
        self.dtype = dtype
        self.kernel = self.recurrent_kernel = self.bias = None

    @property
    def state_count(self):
        return 2 if self.kind == "LSTM" else 1

    @property
    def weight_count(self):
        return 3 if self.use_bias else 2

    def weight_shapes(self, input_dim):
        g = GATES[self.kind] * self.units
        shapes = [(input_dim, g), (self.units, g)]
        if self.use_bias:
            shapes.append((2, g) if self.reset_after else (g,))
        return shapes

    def set_weights(self, weights, input_dim):
        shapes = self.weight_shapes(input_dim)
        if len(weights) != len(shapes):
            raise ValueError(f"weights: expected {len(shapes)} arrays, got {len(weights)}")
        for w, s in zip(weights, shapes):
            if tuple(np.shape(w)) != tuple(s):
                raise ValueError(f"weights: expected shape {s}, got {np.shape(w)}")
        self.kernel = np.asarray(weights[0], self.dtype)
        self.recurrent_kernel = np.asarray(weights[1], self.dtype)
        self.bias = np.asarray(weights[2], self.dtype) if self.use_bias else None

    def init_weights_from_config(self, input_dim):
        """Weights from constant initializers (Constant, Zeros, Ones) as Keras builds them."""
        shapes = self.weight_shapes(input_dim)
        keys = ["kernel_initializer", "recurrent_initializer", "bias_initializer"]
        ws = [_constant_init(self.config.get(k), s) for k, s in zip(keys, shapes)]
        if self.use_bias and self.kind == "LSTM" and self.unit_forget_bias:
            # Keras: concat([bias_init(u), ones(u), bias_init(2u)]), whatever bias_initializer says.
            u = self.units
            ws[2][u : 2 * u] = 1.0
        self.set_weights(ws, input_dim)

    def step(self, x, states):
        """One step: returns (output, new_states)."""
        u = self.units
        if self.kind == "SimpleRNN":
            (h,) = states
            z = x @ self.kernel
            if self.use_bias:
                z = z + self.bias
            out = self.act(z + h @ self.recurrent_kernel)
            return out, [out]
        if self.kind == "LSTM":
            h, c = states
            z = x @ self.kernel + h @ self.recurrent_kernel
            if self.use_bias:
                z = z + self.bias
            i = self.rec_act(z[:, :u])
            f = self.rec_act(z[:, u : 2 * u])
            c_new = f * c + i * self.act(z[:, 2 * u : 3 * u])
            o = self.rec_act(z[:, 3 * u :])
            h_new = o * self.act(c_new)
            return h_new, [h_new, c_new]
        # GRU, gate order z, r, h.
        (h,) = states
        mx = x @ self.kernel
        if self.use_bias:
            mx = mx + (self.bias[0] if self.reset_after else self.bias)
        if self.reset_after:
            inner = h @ self.recurrent_kernel
            if self.use_bias:
                inner = inner + self.bias[1]
        else:
            inner = h @ self.recurrent_kernel[:, : 2 * u]
        zg = self.rec_act(mx[:, :u] + inner[:, :u])
        r = self.rec_act(mx[:, u : 2 * u] + inner[:, u : 2 * u])
        if self.reset_after:
            rh = r * inner[:, 2 * u :]
        else:
            rh = (r * h) @ self.recurrent_kernel[:, 2 * u :]
        hh = self.act(mx[:, 2 * u :] + rh)
        h_new = zg * h + (1 - zg) * hh
        return h_new, [h_new]


def _constant_init(init, shape):
    if init is None:
        raise ValueError("initializer: expected a constant initializer config, got None")
    name = init if isinstance(init, str) else init.get("class_name")
    cfg = {} if isinstance(init, str) else (init.get("config") or {})
    name_l = str(name).lower()
    if name_l in ("zeros", "zeros_initializer"):
        return np.zeros(shape)
    if name_l == "ones":
        return np.ones(shape)
    if name_l == "constant":
        return np.full(shape, float(cfg.get("value", 0.0)))
    raise ValueError(
        f"initializer: only Constant/Zeros/Ones can be evaluated without given weights, got {name!r}"
    )


# ---------------------------------------------------------------------------------------------
# ConvLSTM (keras.src.layers.rnn.conv_lstm)
# ---------------------------------------------------------------------------------------------

CONV_LSTM_RANK = {"ConvLSTM1D": 1, "ConvLSTM2D": 2, "ConvLSTM3D": 3}


def _tuple(v, rank):
    return tuple(int(d) for d in v) if isinstance(v, (list, tuple)) else (int(v),) * rank


def conv_nd(x, w, strides, padding, dilation):
    """N-d convolution, channels last: x [N, *S, C], w [*K, C, F] -> [N, *O, F].

    ``same`` pads as TensorFlow: total = max((ceil(S/s) - 1)·s + (K - 1)·d + 1 - S, 0), with
    total // 2 before and the rest after.
    """
    n = x.ndim - 2
    size, kernel = x.shape[1:-1], w.shape[:n]
    span = [(kernel[i] - 1) * dilation[i] + 1 for i in range(n)]
    if padding == "same":
        out = [-(-size[i] // strides[i]) for i in range(n)]
        pads = []
        for i in range(n):
            total = max((out[i] - 1) * strides[i] + span[i] - size[i], 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    elif padding == "valid":
        out = [(size[i] - span[i]) // strides[i] + 1 for i in range(n)]
    else:
        raise ValueError(f"padding: expected 'valid' or 'same', got {padding!r}")
    if min(out) <= 0:
        raise ValueError(f"input spatial shape {size}: the kernel {kernel} does not fit")
    y = np.zeros((x.shape[0], *out, w.shape[-1]), x.dtype)
    for k in np.ndindex(*kernel):
        window = tuple(
            slice(k[i] * dilation[i], k[i] * dilation[i] + (out[i] - 1) * strides[i] + 1, strides[i])
            for i in range(n)
        )
        y += np.tensordot(x[(slice(None),) + window], w[k], axes=([-1], [0]))
    return y


class ConvLSTMCell:
    """keras ConvLSTMCell, channels last: gates i, f, c, o from conv(x) + conv_same(h)."""

    kind = "ConvLSTM"
    state_count = 2

    def __init__(self, rank, config, keras_version, dtype):
        if config.get("data_format", "channels_last") not in (None, "channels_last"):
            raise ValueError("data_format: the reference implements channels_last only")
        self.rank = rank
        self.units = int(config["filters"])
        self.kernel_size = _tuple(config["kernel_size"], rank)
        self.strides = _tuple(config.get("strides", 1), rank)
        self.dilation = _tuple(config.get("dilation_rate", 1), rank)
        self.padding = str(config.get("padding", "valid")).lower()
        default_gate = "hard_sigmoid" if keras_major(keras_version) < 3 else "sigmoid"
        self.act = get_activation(config.get("activation", "tanh"), keras_version)
        self.rec_act = get_activation(config.get("recurrent_activation", default_gate), keras_version)
        self.use_bias = bool(config.get("use_bias", True))
        self.unit_forget_bias = bool(config.get("unit_forget_bias", True))
        self.config = config
        self.dtype = dtype
        self.kernel = self.recurrent_kernel = self.bias = None

    @property
    def weight_count(self):
        return 3 if self.use_bias else 2

    def weight_shapes(self, channels):
        g = 4 * self.units
        shapes = [self.kernel_size + (channels, g), self.kernel_size + (self.units, g)]
        if self.use_bias:
            shapes.append((g,))
        return shapes

    set_weights = Cell.set_weights

    def init_weights_from_config(self, channels):
        shapes = self.weight_shapes(channels)
        keys = ["kernel_initializer", "recurrent_initializer", "bias_initializer"]
        ws = [_constant_init(self.config.get(k), s) for k, s in zip(keys, shapes)]
        if self.use_bias and self.unit_forget_bias:
            u = self.units
            ws[2][u : 2 * u] = 1.0
        self.set_weights(ws, channels)

    def state_shape(self, step_shape):
        """[B, *O, filters] for one step's input shape [B, *S, C]."""
        size = step_shape[1:-1]
        if self.padding == "same":
            out = [-(-size[i] // self.strides[i]) for i in range(self.rank)]
        else:
            out = [
                (size[i] - (self.kernel_size[i] - 1) * self.dilation[i] - 1) // self.strides[i] + 1
                for i in range(self.rank)
            ]
        return (step_shape[0], *out, self.units)

    def step(self, x, states):
        h, c = states
        ones = (1,) * self.rank
        z = conv_nd(x, self.kernel, self.strides, self.padding, self.dilation)
        z = z + conv_nd(h, self.recurrent_kernel, ones, "same", ones)
        if self.use_bias:
            z = z + self.bias
        u = self.units
        i = self.rec_act(z[..., :u])
        f = self.rec_act(z[..., u : 2 * u])
        c_new = f * c + i * self.act(z[..., 2 * u : 3 * u])
        o = self.rec_act(z[..., 3 * u :])
        h_new = o * self.act(c_new)
        return h_new, [h_new, c_new]


# ---------------------------------------------------------------------------------------------
# The time loop (keras.src.backend.tensorflow.rnn.rnn)
# ---------------------------------------------------------------------------------------------


def rnn_loop(step, x, initial_states, mask=None, go_backwards=False, zero_output_for_mask=False):
    """Run ``step`` over time.

    Returns ``(last_output, outputs [B, T, U] in processing order, final_states)``.
    A masked step keeps the states and outputs the previous output (or zeros).
    """
    B, T = x.shape[0], x.shape[1]
    order = range(T - 1, -1, -1) if go_backwards else range(T)
    states = [np.array(s, copy=True) for s in initial_states]
    prev_out = None
    outs = []
    for t in order:
        out, new_states = step(x[:, t, :], states)
        if prev_out is None:
            prev_out = np.zeros_like(out)
        if mask is not None:
            m = mask[:, t].reshape((B,) + (1,) * (out.ndim - 1))
            fill = np.zeros_like(out) if zero_output_for_mask else prev_out
            out = np.where(m, out, fill)
            new_states = [np.where(m, ns, s) for ns, s in zip(new_states, states)]
        states = new_states
        prev_out = out
        outs.append(out)
    outputs = np.stack(outs, axis=1)
    return outputs[:, -1, :], outputs, states


# ---------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------


def _cells_of(layer_json):
    """(list of (kind, cell config)) for an RNN-family layer JSON."""
    cls = layer_json["class_name"]
    cfg = layer_json["config"]
    if cls in ("SimpleRNN", "LSTM", "GRU") or cls in CONV_LSTM_RANK:
        return [(cls, cfg)]
    if cls != "RNN":
        raise ValueError(f"layer.class_name: expected SimpleRNN, LSTM, GRU, RNN, got {cls!r}")
    cell = cfg["cell"]
    if isinstance(cell, dict) and cell.get("class_name") == "StackedRNNCells":
        cell = cell["config"]["cells"]
    cells = cell if isinstance(cell, list) else [cell]
    out = []
    for c in cells:
        if c["class_name"] not in CELL_KIND:
            raise ValueError(f"cell.class_name: expected a Keras cell, got {c['class_name']!r}")
        out.append((CELL_KIND[c["class_name"]], c["config"]))
    return out


class RNNLayer:
    """SimpleRNN / LSTM / GRU / RNN(cell or stacked cells)."""

    def __init__(self, layer_json, keras_version=None, dtype=np.float64, zero_output_override=None):
        cfg = layer_json["config"]
        self.cells = [
            ConvLSTMCell(CONV_LSTM_RANK[k], c, keras_version, dtype)
            if k in CONV_LSTM_RANK
            else Cell(k, c, keras_version, dtype)
            for k, c in _cells_of(layer_json)
        ]
        self.return_sequences = bool(cfg.get("return_sequences", False))
        self.return_state = bool(cfg.get("return_state", False))
        self.go_backwards = bool(cfg.get("go_backwards", False))
        self.stateful = bool(cfg.get("stateful", False))
        zofm = bool(cfg.get("zero_output_for_mask", False))
        self.zero_output_for_mask = zofm if zero_output_override is None else zero_output_override
        self.dtype = dtype
        self.states = None  # kept between calls when stateful

    @property
    def weight_count(self):
        return sum(c.weight_count for c in self.cells)

    def weight_shapes(self, input_dim):
        shapes = []
        d = input_dim
        for c in self.cells:
            shapes += c.weight_shapes(d)
            d = c.units
        return shapes

    def set_weights(self, weights, input_dim):
        d, k = input_dim, 0
        for c in self.cells:
            c.set_weights(weights[k : k + c.weight_count], d)
            k += c.weight_count
            d = c.units
        if k != len(weights):
            raise ValueError(f"weights: expected {k} arrays, got {len(weights)}")

    def init_weights_from_config(self, input_dim):
        d = input_dim
        for c in self.cells:
            c.init_weights_from_config(d)
            d = c.units

    def state_units(self):
        """Units of each state tensor, in Keras order (flattened cell by cell)."""
        return [c.units for c in self.cells for _ in range(c.state_count)]

    def state_shapes(self, input_shape):
        """Shape of each state tensor for an input ``[B, T, ...]``, in Keras order."""
        step = (input_shape[0],) + tuple(input_shape[2:])
        return [
            c.state_shape(step) if isinstance(c, ConvLSTMCell) else (input_shape[0], c.units)
            for c in self.cells
            for _ in range(c.state_count)
        ]

    def _step(self, x, flat_states):
        new_flat, k = [], 0
        inp = x
        for c in self.cells:
            inp, ns = c.step(inp, flat_states[k : k + c.state_count])
            new_flat += ns
            k += c.state_count
        return inp, new_flat

    def __call__(self, x, mask=None, initial_state=None):
        x = np.asarray(x, self.dtype)
        B = x.shape[0]
        if initial_state is not None:
            states = [np.asarray(s, self.dtype) for s in initial_state]
        elif self.stateful and self.states is not None:
            states = self.states
        else:
            states = [np.zeros(shape, self.dtype) for shape in self.state_shapes(x.shape)]
        n_states = sum(c.state_count for c in self.cells)
        if len(states) != n_states:
            raise ValueError(f"initial_state: expected {n_states} tensors, got {len(states)}")
        m = None if mask is None else np.asarray(mask, bool)
        last, outputs, final = rnn_loop(
            self._step, x, states, m, self.go_backwards, self.zero_output_for_mask
        )
        if self.stateful:
            self.states = final
        out = outputs if self.return_sequences else last
        return [out] + (list(final) if self.return_state else [])


class BidirectionalLayer:
    """keras.layers.Bidirectional."""

    def __init__(self, layer_json, keras_version=None, dtype=np.float64):
        cfg = layer_json["config"]
        self.merge_mode = cfg.get("merge_mode", "concat")
        inner = cfg["layer"]
        rs = bool(inner["config"].get("return_sequences", False))
        fw_json = _with(inner, go_backwards=bool(inner["config"].get("go_backwards", False)))
        bw_json = cfg.get("backward_layer")
        if bw_json is None:
            # Keras 3 sets go_backwards=True (Keras 2 flipped it; same for a forward layer).
            bw_json = _with(inner, go_backwards=not bool(inner["config"].get("go_backwards", False)))
        self.forward = RNNLayer(fw_json, keras_version, dtype, zero_output_override=rs)
        self.backward = RNNLayer(bw_json, keras_version, dtype, zero_output_override=rs)
        if self.forward.go_backwards == self.backward.go_backwards:
            raise ValueError("backward_layer.go_backwards: expected the opposite of layer.go_backwards")
        self.return_sequences = rs
        self.return_state = self.forward.return_state

    def weight_shapes(self, input_dim):
        return self.forward.weight_shapes(input_dim) + self.backward.weight_shapes(input_dim)

    def state_units(self):
        return self.forward.state_units() + self.backward.state_units()

    def state_shapes(self, input_shape):
        return self.forward.state_shapes(input_shape) + self.backward.state_shapes(input_shape)

    def set_weights(self, weights, input_dim):
        n = self.forward.weight_count
        self.forward.set_weights(weights[:n], input_dim)
        self.backward.set_weights(weights[n:], input_dim)

    def init_weights_from_config(self, input_dim):
        self.forward.init_weights_from_config(input_dim)
        self.backward.init_weights_from_config(input_dim)

    def __call__(self, x, mask=None, initial_state=None):
        fs = bs = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fs, bs = initial_state[:half], initial_state[half:]
        y = self.forward(x, mask, fs)
        y_rev = self.backward(x, mask, bs)
        states = y[1:] + y_rev[1:]
        y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1, :]
        mm = self.merge_mode
        if mm == "concat":
            out = [np.concatenate([y, y_rev], axis=-1)]
        elif mm == "sum":
            out = [y + y_rev]
        elif mm == "ave":
            out = [(y + y_rev) / 2]
        elif mm == "mul":
            out = [y * y_rev]
        elif mm is None:
            out = [y, y_rev]
        else:
            raise ValueError(f"merge_mode: expected concat, sum, ave, mul or None, got {mm!r}")
        return out + (states if self.return_state else [])


def _with(layer_json, **overrides):
    return {
        "class_name": layer_json["class_name"],
        "config": {**layer_json["config"], **overrides},
    }


def build_layer(layer_json, keras_version=None, dtype=np.float64):
    """Layer object for a Keras layer JSON (weights still to be set)."""
    if layer_json["class_name"] == "Bidirectional":
        return BidirectionalLayer(layer_json, keras_version, dtype)
    return RNNLayer(layer_json, keras_version, dtype)


def run_case(case, dtype=np.float64):
    """Run a conformance case dict (the JSON schema in CASES.md); returns a list per call."""
    layer = build_layer(case["layer"], case.get("keras_version"), dtype)
    first = case["calls"][0]["input"]
    input_dim = first["shape"][-1]
    if case.get("weights") is None:
        layer.init_weights_from_config(input_dim)
    else:
        ws = [_arr(w) for w in case["weights"]]
        layer.set_weights(ws, input_dim)
    results = []
    for call in case["calls"]:
        x = _arr(call["input"])
        mask = _arr(call["mask"]).astype(bool) if call.get("mask") else None
        init = [_arr(s) for s in call["initial_state"]] if call.get("initial_state") else None
        results.append(layer(x, mask, init))
    return results


def _arr(t):
    # Case data are float32 values: round as a float32 runtime does, then compute in float64.
    return np.asarray(t["data"], np.float64).astype(np.float32).astype(np.float64).reshape(t["shape"])

"""Solution cells for the borrowed-answer tests: disguises of the package's answer, and honest forms.

Each entry is the whole source of a solution cell. A disguise reaches the
package's own implementation at run time (it would score full marks if the
grader looked only at the ``def``); an honest form computes the answer
itself, in a way a learner might. ``tests/test_originality.py`` runs them in
the learner's kernel's way (in process), ``tests/test_borrowed_submission.py``
through ``bpcourse grade`` in the sandbox.
"""

# notebook 01: sigmoid(x), checked by check_sigmoid (2 points)
SIGMOID_DISGUISES = {
    "alias": "s = activations.sigmoid\n\ndef sigmoid(x):\n    return s(x)\n",
    "rebind after def": ("def sigmoid(x):\n    return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))\n\n"
                         "sigmoid = activations.sigmoid\n"),
    "decorator": ("def tidy(function):\n    return activations.sigmoid\n\n@tidy\ndef sigmoid(x):\n"
                  "    return np.zeros_like(x)\n"),
    "default argument": "def sigmoid(x, _impl=activations.sigmoid):\n    return _impl(x)\n",
    "closure": ("def make():\n    impl = activations.sigmoid\n    def sigmoid(x):\n        return impl(x)\n"
                "    return sigmoid\n\nsigmoid = make()\n"),
    "container": ("TABLE = {'logistic': activations.SigmoidActivator.forward}\n\ndef sigmoid(x):\n"
                  "    return TABLE['logistic'](x)\n"),
    "partial": "import functools\n\nsigmoid = functools.partial(activations.sigmoid)\n",
    "wrapping class": ("class Wrapper:\n    def __init__(self, f):\n        self.f = f\n\n    def __call__(self, x):\n"
                       "        return self.f(x)\n\nsigmoid = Wrapper(activations.sigmoid)\n"),
    "vectorize": "sigmoid = np.vectorize(activations.sigmoid, otypes=[np.float64])\n",
    "by name": "def sigmoid(x):\n    return getattr(activations, 'sig' + 'moid')(x)\n",
    "the fallback": "from bpcourse.exercises.homework import reference\n\nsigmoid = reference('sigmoid')\n",
}

SIGMOID_HONEST = {
    "def": ("def sigmoid(x):\n    z = np.asarray(x, dtype=np.float64)\n"
            "    return 0.5 * (1 + np.tanh(0.5 * z))\n"),
    "lambda": "sigmoid = lambda x: 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))\n",
    "vectorize": ("import math\n\ndef one(v):\n    return 0.5 * (1 + math.tanh(0.5 * v))\n\n"
                  "sigmoid = np.vectorize(one, otypes=[np.float64])\n"),
    "partial": ("import functools\n\ndef scaled(x, k):\n    return 0.5 * (1 + np.tanh(k * np.asarray(x, dtype=np.float64)))\n\n"
                "sigmoid = functools.partial(scaled, k=0.5)\n"),
    "callable class": ("class Sigmoid:\n    def __call__(self, x):\n"
                       "        return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))\n\n"
                       "sigmoid = Sigmoid()\n"),
    "getattr, sys and math": ("import math\nimport sys\n\ndef sigmoid(x):\n    tanh = getattr(np, 'tanh')\n"
                              "    half = math.sqrt(0.25) + 0 * sys.float_info.epsilon\n"
                              "    return half * (1 + tanh(half * np.asarray(x, dtype=np.float64)))\n"),
}

# notebook 05: gradient_check_errors(network, x, t, analytic, epsilon=1e-4), checked by
# check_gradient_check_errors (4 points). The disguises turn the package's report into the answer.
_FROM_REPORT = """    errors = [(np.zeros(W.shape), np.zeros(b.shape)) for W, b in network.get_weights()]
    for l, j, i, r in zip(report.layer, report.row, report.col, report.relative_error):
        if i >= 0:
            errors[l][0][j, i] = r
        else:
            errors[l][1][j] = r
    return errors
"""

GRADIENT_DISGUISES = {
    "alias": ("from bpcourse.core.gradcheck import gradient_check\n\n_gc = gradient_check\n\n"
              "def gradient_check_errors(network, x, t, analytic, epsilon=1e-4):\n"
              "    report = _gc(network, x, t, epsilon=epsilon, analytic=analytic)\n" + _FROM_REPORT),
    "default argument": ("import bpcourse.core.gradcheck as gc\n\n"
                         "def gradient_check_errors(network, x, t, analytic, epsilon=1e-4, _check=gc.gradient_check):\n"
                         "    report = _check(network, x, t, epsilon=epsilon, analytic=analytic)\n" + _FROM_REPORT),
    "wrapping class": ("import bpcourse.core.gradcheck as gc\n\nclass Checker:\n    run = staticmethod(gc.gradient_check)\n\n"
                       "def gradient_check_errors(network, x, t, analytic, epsilon=1e-4):\n"
                       "    report = Checker.run(network, x, t, epsilon=epsilon, analytic=analytic)\n" + _FROM_REPORT),
}

GRADIENT_HONEST = {
    "flat vector, getattr": """def gradient_check_errors(network, x, t, analytic, epsilon=1e-4):
    grads = analytic(network, x, t)
    saved = network.get_weights()
    shapes = [a.shape for pair in saved for a in pair]
    flat = np.concatenate([np.ravel(a) for pair in saved for a in pair])

    def rebuild(vector):
        parts, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            parts.append(vector[start:start + size].reshape(shape).copy())
            start += size
        return [(parts[i], parts[i + 1]) for i in range(0, len(parts), 2)]

    loss = getattr(network, "loss_value")
    numeric = np.empty_like(flat)
    for k in range(flat.size):
        step = np.zeros_like(flat)
        step[k] = epsilon
        network.set_weights(rebuild(flat + step))
        up = loss(x, t)
        network.set_weights(rebuild(flat - step))
        numeric[k] = (up - loss(x, t)) / (2 * epsilon)
    network.set_weights(saved)
    return rebuild(rel_error(np.concatenate([np.ravel(g) for pair in grads for g in pair]), numeric))
""",
}

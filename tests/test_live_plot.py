"""The live training plot: draws the history, replaces one display after every epoch, leaks nothing."""

import base64
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bpcourse.visuals.live_plot import LivePlot, draw_history, plot_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_history(epochs, evaluate_every=1):
    """A History-like record of ``epochs`` epochs with made-up but plausible numbers."""
    history = SimpleNamespace(epoch=[], train_loss=[], eval_epoch=[], train_error=[], validation_error=[],
                              test_error=[], seconds=[])
    for epoch in range(1, epochs + 1):
        add_epoch(history, epoch, evaluate_every)
    return history


def add_epoch(history, epoch, evaluate_every=1):
    history.epoch.append(epoch)
    history.train_loss.append(0.2 / epoch)
    history.seconds.append(1.0)
    if epoch % evaluate_every == 0:
        history.eval_epoch.append(epoch)
        history.train_error.append(0.1 / epoch)
        history.validation_error.append(0.11 / epoch + 0.01)
        history.test_error.append(0.12 / epoch + 0.01)


class RecordingDisplay:
    """Stands in for IPython's display: records the first display and every update."""

    def __init__(self):
        self.calls = []
        self.updates = []

    def __call__(self, bundle, raw=False, display_id=None):
        self.calls.append((bundle, raw, display_id))
        return self

    def update(self, bundle, raw=False):
        self.updates.append((bundle, raw))


def test_draw_history_plots_loss_and_the_three_error_rates():
    history = make_history(6, evaluate_every=2)
    figure = plt.figure()
    ax_loss, ax_error = draw_history(figure, history, marks=[(4, "interrupted")])
    np.testing.assert_allclose(ax_loss.lines[0].get_ydata(), history.train_loss, rtol=0)
    train, validation, test = ax_error.lines[0], ax_error.lines[1], ax_error.lines[2]
    np.testing.assert_allclose(validation.get_ydata(), 100 * np.array(history.validation_error), rtol=1e-12)
    np.testing.assert_array_equal(train.get_xdata(), [2, 4, 6])
    np.testing.assert_allclose(train.get_ydata(), 100 * np.array(history.train_error), rtol=1e-12)
    np.testing.assert_allclose(test.get_ydata(), 100 * np.array(history.test_error), rtol=1e-12)
    # the mark is a vertical line on both axes, and named in the legend
    assert [line.get_xdata()[0] for line in ax_loss.lines[1:]] == [4]
    assert "interrupted" in [t.get_text() for t in ax_error.get_legend().get_texts()]
    assert ax_error.get_ylabel() == "error rate (%)"
    assert ax_loss.get_xlabel() == "epoch" and ax_loss.get_title()
    assert "epoch 6" in figure._suptitle.get_text()
    assert f"validation error {100 * history.validation_error[-1]:.2f}%" in figure._suptitle.get_text()


def test_draw_history_skips_missing_evaluations():
    history = make_history(3)
    history.train_error = [None, None, None]  # fit without y_train
    history.validation_error = [None, None, None]  # fit without a validation set
    figure = plt.figure()
    _, ax_error = draw_history(figure, history)
    visible = [line.get_label() for line in ax_error.lines if line.get_visible()]
    assert visible == ["test set"]
    assert [t.get_text() for t in ax_error.get_legend().get_texts()] == ["test set"]


def test_draw_history_rejects_something_else():
    with pytest.raises(ValueError, match="History"):
        draw_history(plt.figure(), {"epoch": [1]})
    with pytest.raises(ValueError, match="same length"):
        history = make_history(3)
        history.train_loss.pop()
        draw_history(plt.figure(), history)


def test_marks_must_be_pairs():
    with pytest.raises(ValueError, match="pair"):
        LivePlot(marks=[5])
    with pytest.raises(ValueError, match="pair"):
        LivePlot(marks=["ab"])


def test_first_call_displays_then_every_call_replaces_that_display():
    shown = RecordingDisplay()
    live = LivePlot(display_function=shown)
    history = make_history(0)
    for epoch in range(1, 5):
        add_epoch(history, epoch)
        live(history, network=None)
    assert len(shown.calls) == 1 and len(shown.updates) == 3
    first_bundle, raw, display_id = shown.calls[0]
    assert raw is True and display_id is True
    assert all(raw for _, raw in shown.updates)
    assert live.redraws == 4 and live.last_epoch == 4

    bundles = [first_bundle] + [bundle for bundle, _ in shown.updates]
    for epoch, bundle in enumerate(bundles, 1):
        assert set(bundle) == {"text/html", "image/png", "text/plain"}
        html = bundle["text/html"]
        assert html.startswith(f'<div class="bpcourse-live-plot" data-epoch="{epoch}">')
        png = base64.b64decode(bundle["image/png"])
        assert png.startswith(PNG_SIGNATURE)
        assert f'src="data:image/png;base64,{bundle["image/png"]}"' in html
        assert bundle["text/plain"] == f"<live training plot, epoch {epoch}>"
    # the picture really changes from one epoch to the next
    pictures = [bundle["image/png"] for bundle in bundles]
    assert len(set(pictures)) == len(pictures)


def test_outside_ipython_nothing_is_displayed_but_the_figure_is_drawn():
    live = LivePlot()
    live(make_history(2))
    assert live.handle is None
    assert live.redraws == 1
    assert live.png().startswith(PNG_SIGNATURE)
    assert len(live.figure.axes) == 2


def test_redraws_reuse_one_figure_and_register_none_with_pyplot():
    before = plt.get_fignums()
    live = LivePlot(display_function=RecordingDisplay())
    history = make_history(0)
    for epoch in range(1, 31):
        add_epoch(history, epoch)
        live(history)
    assert plt.get_fignums() == before
    assert len(live.figure.axes) == 2  # cleared, not stacked


def test_plot_history_returns_a_pyplot_figure_with_marks():
    history = make_history(8)
    figure = plot_history(history, marks=[(5, "resumed"), (7, "stop")], title="run")
    assert figure.number in plt.get_fignums()
    ax_loss, ax_error = figure.axes
    assert [line.get_xdata()[0] for line in ax_loss.lines[1:]] == [5, 7]
    assert figure._suptitle.get_text() == "run"


@pytest.mark.slow
def test_in_a_real_kernel_the_display_is_updated_in_place():
    """Run LivePlot in an IPython kernel: one display_data, then update_display_data with its id."""
    import jupyter_client.manager
    code = (
        "from types import SimpleNamespace\n"
        "from bpcourse.visuals.live_plot import LivePlot\n"
        "h = SimpleNamespace(epoch=[], train_loss=[], eval_epoch=[], train_error=[], test_error=[])\n"
        "live = LivePlot()\n"
        "for e in range(1, 4):\n"
        "    h.epoch.append(e); h.train_loss.append(1 / e)\n"
        "    h.eval_epoch.append(e); h.train_error.append(0.1 / e); h.test_error.append(0.2 / e)\n"
        "    live(h)\n"
    )
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        client.execute(code)
        messages = []
        while True:
            message = client.get_iopub_msg(timeout=60)
            messages.append(message)
            if (message["msg_type"] == "status"
                    and message["content"]["execution_state"] == "idle"
                    and messages and any(m["msg_type"] == "execute_input" for m in messages)):
                break
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    errors = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert not errors, errors
    shown = [m for m in messages if m["msg_type"] == "display_data"]
    updates = [m for m in messages if m["msg_type"] == "update_display_data"]
    assert len(shown) == 1 and len(updates) == 2
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert all(m["content"]["transient"]["display_id"] == display_id for m in updates)
    last = updates[-1]["content"]["data"]
    assert 'class="bpcourse-live-plot" data-epoch="3"' in last["text/html"]
    assert base64.b64decode(last["image/png"]).startswith(PNG_SIGNATURE)


def test_live_plot_as_fit_callback_redraws_after_every_epoch():
    from bpcourse.core import training
    from bpcourse.core.vectorized import Network

    rng = np.random.default_rng(4)
    X = rng.random((50, 4))
    y = rng.integers(0, 3, size=50)
    T = np.where(np.eye(3)[y] > 0, 0.9, 0.1)
    shown = RecordingDisplay()
    live = LivePlot(display_function=shown)
    history = training.fit(Network((4, 5, 3), seed=0), X, T, y, test=(X[:10], y[:10]), epochs=5,
                           rate=0.5, batch_size=5, evaluate_every=2, callbacks=[live], progress=False)
    assert live.redraws == 5 and len(shown.calls) == 1 and len(shown.updates) == 4
    assert live.last_epoch == history.epoch[-1] == 5
    assert 'data-epoch="5"' in shown.updates[-1][0]["text/html"]

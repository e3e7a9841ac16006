"""Issue 20: the saliency legible at a glance (its own scale, a visible colour map) and the last
layer's bars labelled 0 to 9."""

import numpy as np
from matplotlib import colormaps

from mnist_core.explain import pictures


def _luminance(rgb):
    return rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)


def test_the_heat_map_is_scaled_to_its_own_strongest_pixel():
    saliency = np.zeros((28, 28), np.float32)
    saliency[10, 10], saliency[12, 12] = 0.3, 0.03  # never reaching 1: scaled all the same
    heat = pictures.heat_map(saliency)
    brightest = colormaps[pictures.SALIENCY_COLOURMAP](1.0)[:3]
    assert np.allclose(heat[10, 10], brightest, atol=1e-6)
    assert _luminance(heat[0, 0]) < 0.02  # no push: black
    # A pixel with a tenth of the strongest push still shows (it was near black on a linear
    # orange tint over black: 0.1 x its colour).
    assert _luminance(heat[12, 12]) > 0.15


def test_the_overlay_shows_the_ink_and_the_push_in_the_same_colours():
    image = np.zeros((28, 28), np.float32)
    image[5:20, 14] = 1.0
    saliency = np.zeros((28, 28), np.float32)
    saliency[10, 14] = 0.5
    over = pictures.overlay(image, saliency)
    assert np.allclose(over[10, 14], pictures.heat_map(saliency)[10, 14], atol=1e-6)
    assert np.allclose(over[6, 14], 0.5)  # ink without push: grey, dimmed to half
    assert np.allclose(over[0, 0], 0.0)


def test_the_colour_bar_runs_from_none_to_the_most():
    bar = pictures.colour_bar(width=100, height=6)
    assert bar.shape == (6, 100, 3)
    light = _luminance(bar[0])
    assert light[0] < 0.02 and light[-1] > 0.8 and np.all(np.diff(light) > -1e-3)


def test_the_last_layers_bars_have_their_digits_written_under_them():
    values = np.linspace(0.0, 1.0, 10, dtype=np.float32)
    plain = pictures.bars_picture(values)
    labelled = pictures.bars_picture(values, labels=range(10))
    assert labelled.shape == (plain.shape[0] + pictures.BAR_LABEL_PX, plain.shape[1])
    assert np.array_equal(labelled[:plain.shape[0]], plain)
    strip = labelled[plain.shape[0]:]
    width = plain.shape[1] // 10
    for digit in range(10):  # ink under every bar, centred on it, and none across the gaps
        under = strip[:, digit * width:(digit + 1) * width]
        inked = np.nonzero((under < 0.5).any(axis=0))[0]
        assert inked.size, f"no label under bar {digit}"
        assert abs((inked.min() + inked.max()) / 2 - width / 2) <= 3, digit

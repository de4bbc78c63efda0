"""R's tfevents and neuroboard, both ways: each reads every kind the other writes, value for value.

R writes with log_event() and its summary_*() constructors, and says in a
table what it logged; neuroboard reads the logdir with collect_events() and
value(). Then neuroboard's functional API writes the same kinds, and R reads
them with collect_events(type = "summary") + value() and
collect_events(type = "scalar"). Where R's reader is broken, the test pins
how (R's limitations are named where they are asserted).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import neuroboard as nb
from neuroboard.api.functional import flush_logdir

RUN = "run1"
HPARAMS_CONFIG = (".", "_hparams_/experiment", 0)
HPARAMS_SESSION = (RUN, "_hparams_/session_start_info", 0)

# R's value() checks the first two strings of an image tensor, read as one signed byte each,
# against (height, width) of the PNG: TensorBoard's ASCII width and height never pass.
R_IMAGE_DIMS_ERROR = "An error ocurred. Report a issue in the tfevents repository."
# R's value() of a Summary.Image (the legacy image field) hands no bytes to png::readPNG.
R_LEGACY_IMAGE_ERROR = "invalid connection"


def float32(x: float) -> float:
    return float(np.float32(x))


def by_key(frame: Any) -> dict[tuple[str, str, int], Any]:
    """Return neuroboard's summary rows as {(run, tag, step): SummaryValue}."""
    return {(row.run, row.tag, row.step): row.summary for row in frame.itertuples()}


# --- R writes, neuroboard reads ------------------------------------------------------------------


@pytest.fixture(scope="module")
def r_side(exchange, tmp_path_factory) -> tuple[Path, dict, dict]:
    """R's logdir of every kind: (the logdir; what R logged, by key; our summary rows, by key)."""
    logdir = tmp_path_factory.mktemp("r-writes") / "logs"
    logged = exchange("write", logdir)
    expected = {key[1:]: entry for key, entry in logged.items() if key[0] == "expected"}
    return logdir, expected, by_key(nb.collect_events(logdir, type="summary"))


def of_plugin(expected: dict, plugin: str) -> dict:
    return {key: entry for key, entry in expected.items() if entry.plugin == plugin}


def test_nb_lists_every_value_r_wrote(r_side):
    _, expected, ours = r_side
    assert {key: value.plugin for key, value in ours.items()} == {
        key: entry.plugin for key, entry in expected.items()
    }


def test_nb_reads_r_scalars(r_side):
    logdir, expected, ours = r_side
    # R writes simple_value, a float32.
    want = {key: float32(entry.fields["value"][0]) for key, entry in of_plugin(expected, "scalars").items()}
    assert len(want) == 9
    assert {key: nb.value(ours[key]) for key in want} == want
    scalars = nb.collect_events(logdir, type="scalar")
    assert {(row.run, row.tag, row.step): row.value for row in scalars.itertuples()} == want


def test_nb_reads_r_histogram(r_side):
    _, expected, ours = r_side
    (key,) = of_plugin(expected, "histograms")
    fields = expected[key].fields
    histogram = nb.value(ours[key])
    np.testing.assert_array_equal(histogram.edges[:-1], fields["lower"])
    np.testing.assert_array_equal(histogram.edges[1:], fields["upper"])
    np.testing.assert_array_equal(histogram.counts, fields["count"])


def test_nb_reads_r_images(r_side):
    _, expected, ours = r_side
    images = of_plugin(expected, "images")
    # An array, square and 4 x 6, in R's tensor form with raw-byte dims; PNG bytes, as Summary.Image.
    assert sorted(tag for _, tag, _ in images) == ["img_png", "img_square", "img_wide"]
    for key, entry in images.items():
        want = entry.array().astype(np.uint8)
        pixels = nb.value(ours[key])
        np.testing.assert_array_equal(pixels, want[0] if len(want) == 1 else want, err_msg=str(key))


def test_nb_reads_r_audio(r_side):
    _, expected, ours = r_side
    clips = of_plugin(expected, "audio")
    assert len(clips) == 2
    for key, entry in clips.items():
        # R writes 32-bit float WAV: the samples come back as float32.
        want = entry.array().astype(np.float32)
        samples, rate = nb.value(ours[key])
        np.testing.assert_array_equal(samples, want[0] if len(want) == 1 else want, err_msg=str(key))
        assert rate == entry.fields["rate"][0]


def test_nb_reads_r_text(r_side):
    _, expected, ours = r_side
    want = {key: entry.fields["text"][0] for key, entry in of_plugin(expected, "text").items()}
    assert len(want) == 3
    assert {key: nb.value(ours[key]) for key in want} == want


def _domain(info: Any) -> tuple[str, list]:
    if info.HasField("domain_interval"):
        return "interval", [info.domain_interval.min_value, info.domain_interval.max_value]
    values = [getattr(v, v.WhichOneof("kind")) for v in info.domain_discrete.values]
    return "domain", values


def _plain(value: Any) -> Any:
    return getattr(value, value.WhichOneof("kind"))


def test_nb_reads_r_hparams(r_side):
    _, expected, ours = r_side
    experiment = nb.value(ours[HPARAMS_CONFIG]).experiment
    got: dict[str, Any] = {}
    for info in experiment.hparam_infos:
        kind, values = _domain(info)
        got[f"{kind}.{info.name}"] = values
    got.update({f"metric.{m.name.tag}": m.name.group or None for m in experiment.metric_infos})
    config = expected[HPARAMS_CONFIG].fields
    want = {name: list(values) for name, values in config.items() if not name.startswith("metric.")}
    # A metric's group, or None for one without a group (R's table says "na").
    want.update({name: group and group[0] for name, group in config.items() if name.startswith("metric.")})
    assert got == want
    session = nb.value(ours[HPARAMS_SESSION]).session_start_info
    assert {f"hparam.{name}": _plain(v) for name, v in session.hparams.items()} == {
        name: value[0] for name, value in expected[HPARAMS_SESSION].fields.items()
    }


# --- neuroboard writes, R reads ------------------------------------------------------------------


def write_nb(root: Path) -> dict[str, dict]:
    """Log every kind into ``root`` with neuroboard's functional API; return what was logged, by kind."""
    rng = np.random.default_rng(18)
    logged: dict[str, dict] = {kind: {} for kind in ("numbers", "summary_scalar", "images", "audio", "text")}
    with nb.with_logdir(str(root)):
        nb.log_hparams_config(
            [
                nb.hparams_hparam("optimizer", domain=["adam", "sgd"]),
                nb.hparams_hparam("dropout", domain={"min_value": 0.0, "max_value": 0.5}),
                nb.hparams_hparam("units", domain=[16, 32]),
            ],
            [nb.hparams_metric("loss", group="train"), nb.hparams_metric("acc")],
        )
    with nb.with_logdir(str(root / RUN)):
        nb.log_hparams(optimizer="adam", dropout=0.1, units=16)
        numbers = logged["numbers"]
        for i in range(1, 4):
            nb.log_event(loss=1 / i, train={"acc": 0.5 + i / 10}, step=i - 1)
            numbers[RUN, "loss", i - 1] = 1 / i
            numbers[f"{RUN}/train", "acc", i - 1] = 0.5 + i / 10
        nb.log_event(a=1.0, b=2.5, epochs=3, step=3)
        numbers.update({(RUN, "a", 3): 1.0, (RUN, "b", 3): 2.5, (RUN, "epochs", 3): 3.0})
        nb.log_event(lr=nb.summary_scalar(0.01), step=4)
        logged["summary_scalar"][RUN, "lr", 4] = 0.01

        nb.log_event(hist=nb.summary_histogram(rng.normal(size=100), buckets=5), step=10)

        png = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (3, 7, 3), dtype=np.uint8)).save(png, format="PNG")
        images = {
            "img_square": rng.random((2, 5, 5, 3)),
            "img_wide": rng.random((1, 4, 6, 3)),
            "img_png": png.getvalue(),
        }
        for tag, img in images.items():
            nb.log_event(step=11, **{tag: nb.summary_image(img)})
            logged["images"][RUN, tag, 11] = img

        t = np.linspace(0, 2 * np.pi, 800)
        clips = {
            "aud_mono": (np.sin(t) * 0.5).reshape(1, 800, 1),
            "aud_stereo": rng.uniform(-1, 1, (2, 400, 2)),
        }
        for tag, clip in clips.items():
            nb.log_event(step=12, **{tag: nb.summary_audio(clip, sample_rate=8000)})
            logged["audio"][RUN, tag, 12] = clip

        texts = {"txt": "hello **nb**", "txt2": "second text", "txt3": "gr\u00fc\u00dfe \u2713\ttab"}
        nb.log_event(txt=texts["txt"], txt2=nb.summary_text(texts["txt2"]), txt3=texts["txt3"], step=13)
        logged["text"] = {(RUN, tag, 13): text for tag, text in texts.items()}
    flush_logdir(root)
    return logged


@pytest.fixture(scope="module")
def nb_side(exchange, tmp_path_factory) -> tuple[dict, dict, dict]:
    """Our logdir of every kind: (what we logged, by kind; what R read, by key; our own reading, by key)."""
    root = tmp_path_factory.mktemp("nb-writes") / "logs"
    logged = write_nb(root)
    return logged, exchange("read", root), by_key(nb.collect_events(root, type="summary"))


def r_summary(read: dict, key: tuple[str, str, int]) -> Any:
    return read[("summary", *key)]


def test_r_lists_every_value_we_wrote(nb_side):
    # R's reader drops, without a word, an event of two or more values or of an int64 tensor.
    _, read, ours = nb_side
    assert sorted(key[1:] for key in read if key[0] == "summary") == sorted(ours)


def test_r_reads_logged_numbers(nb_side):
    logged, read, _ = nb_side
    want = {key: float32(x) for key, x in logged["numbers"].items()}
    found = {key[1:]: entry.fields["value"][0] for key, entry in read.items() if key[0] == "scalar"}
    assert {key: found.get(key) for key in want} == want
    assert {
        key: (r_summary(read, key).plugin, r_summary(read, key).fields.get("values", [None])[0])
        for key in want
    } == {key: ("scalars", x) for key, x in want.items()}


def test_r_reads_summary_scalar(nb_side):
    logged, read, _ = nb_side
    ((key, x),) = logged["summary_scalar"].items()
    assert read[("scalar", *key)].fields["value"][0] == float32(x)
    assert r_summary(read, key).plugin == "scalars"


def test_r_reads_histogram(nb_side):
    _, read, ours = nb_side
    key = (RUN, "hist", 10)
    entry = r_summary(read, key)
    assert (entry.plugin, entry.error()) == ("histograms", None)
    histogram = nb.value(ours[key])
    np.testing.assert_array_equal(entry.fields["col.lower"], histogram.edges[:-1])
    np.testing.assert_array_equal(entry.fields["col.upper"], histogram.edges[1:])
    np.testing.assert_array_equal(entry.fields["col.count"], histogram.counts)


def test_r_lists_images_and_fails_on_tensorboards_dims(nb_side):
    # R's limitations: value() reads the dims as raw bytes in (height, width) order, TensorBoard writes
    # ASCII width and height; PNG bytes, kept as a Summary.Image as R itself writes them, fail on R's
    # legacy-image path.
    logged, read, _ = nb_side
    got = {key: (r_summary(read, key).plugin, r_summary(read, key).error()) for key in logged["images"]}
    assert got.pop((RUN, "img_png", 11)) == ("images", R_LEGACY_IMAGE_ERROR)
    assert got and got == {key: ("images", R_IMAGE_DIMS_ERROR) for key in got}


def test_r_reads_audio(nb_side):
    logged, read, ours = nb_side
    for key, clips in logged["audio"].items():
        entry = r_summary(read, key)
        assert (entry.plugin, entry.error()) == ("audio", None), key
        # R's limitation: value() returns the first clip of a batch only, as (channels, samples).
        samples, rate = nb.value(ours[key])
        first = samples if samples.ndim == 2 else samples[0]
        np.testing.assert_array_equal(entry.array(), first.T, err_msg=str(key))
        np.testing.assert_allclose(entry.array(), clips[0].T, rtol=0, atol=1 / 32768, err_msg=str(key))
        assert entry.fields["rate"][0] == rate == 8000


def test_r_reads_text(nb_side):
    logged, read, _ = nb_side
    got = {
        key: (r_summary(read, key).plugin, r_summary(read, key).fields.get("text")) for key in logged["text"]
    }
    assert got == {key: ("text", [text]) for key, text in logged["text"].items()}


def test_r_lists_hparams(nb_side):
    # R's value() has no method for hparams (on R's own files too): only the listing is compared.
    _, read, _ = nb_side
    assert r_summary(read, HPARAMS_CONFIG).plugin == "hparams"
    assert r_summary(read, HPARAMS_SESSION).plugin == "hparams"

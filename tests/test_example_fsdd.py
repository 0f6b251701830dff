"""examples/train_fsdd.py and examples/fsdd_study.py: CLI, splits, paired training, statistics, the report."""

import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import FSDD_RECORDINGS, REPO

# train_fsdd trains through tf.data, tf.function and the kapre frontend.
pytestmark = pytest.mark.tensorflow_only("the FSDD example uses tf.data and the kapre frontend")

EXAMPLES = REPO / "examples"
TRAIN_FSDD = EXAMPLES / "train_fsdd.py"
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
needs_fsdd = pytest.mark.skipif(
    not FSDD_RECORDINGS.is_dir(), reason=f"FSDD is not at {FSDD_RECORDINGS} (../shared/data/fsdd/recordings)"
)


def _load(name):
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))  # fsdd_study imports train_fsdd from there
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fsdd = _load("train_fsdd")
padded = _load("fsdd_padded")
study = _load("fsdd_study")


def run_train_fsdd(*args):
    # TF_CPP_MIN_LOG_LEVEL unset, whatever the runner set: the script must keep TensorFlow's CUDA probe
    # quiet by itself (conftest sets it to 2, which still shows the probe's error).
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, str(TRAIN_FSDD), *args], capture_output=True, text=True, timeout=300, cwd=REPO, env=env
    )


def synthetic_items():
    """The layout of FSDD without the audio: 10 digits x 6 speakers x 50 takes."""
    return [(f"/fsdd/{d}_{s}_{t}.wav", d, s, t) for d in range(10) for s in SPEAKERS for t in range(50)]


def takes_of(pairs):
    return {int(re.search(r"_(\d+)\.wav$", path)[1]) for path, _ in pairs}


def speakers_of(pairs):
    return {re.search(r"_([a-z]+)_", path)[1] for path, _ in pairs}


# ------------------------------------------------------------------------------------------ CLI
def test_cli_defaults_follow_the_study_choice():
    args = fsdd.parse_args([])
    assert (args.model, args.policy, args.epochs) == (fsdd.DEFAULT_MODEL, fsdd.DEFAULT_POLICY, fsdd.DEFAULT_EPOCHS)
    assert args.model in fsdd.MODELS and args.policy in fsdd.POLICY_NAMES
    assert (args.train_takes, args.val_takes, args.held_out_speaker) == (None, (5, 9), None)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--model", "conv1d"], dict(model="conv1d")),
        (["--train-takes", "10-14"], dict(train_takes=(10, 14), epochs=fsdd.DEFAULT_LOW_DATA_EPOCHS)),
        (["--train-takes", "12"], dict(train_takes=(12, 12))),
        (["--val-takes", "45-49", "--val-speaker", "theo"], dict(val_takes=(45, 49), val_speaker="theo")),
        (["--no-augment", "--policy", "full"], dict(policy="none")),
        (["--policy", "FSDD"], dict(policy="full")),
        (["--policy", "sm"], dict(policy="SM")),
        (["--policy", "Time+Warp"], dict(policy="time+warp")),
        (["--held-out-speaker", "theo", "--seed", "3", "--epochs", "7"],
         dict(held_out_speaker="theo", seed=3, epochs=7)),
    ],
)
def test_cli_parses(argv, expected):
    args = vars(fsdd.parse_args(argv))
    assert {key: args[key] for key in expected} == expected


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "lstm"], "invalid choice: 'lstm'"),
        (["--train-takes", "9-5"], "0 <= A <= B <= 49, got '9-5'"),
        (["--train-takes", "40-50"], "got '40-50'"),
        (["--val-takes", "x"], "'A-B' or 'A', got 'x'"),
        (["--policy", "LX"], "Unknown policy 'LX'"),
        (["--epochs", "0"], "--epochs must be >= 1"),
    ],
)
def test_cli_rejects(argv, message, capsys):
    with pytest.raises(SystemExit) as error:
        fsdd.parse_args(argv)
    assert error.value.code == 2
    assert message in capsys.readouterr().err


def test_policy_arguments_take_the_full_policy_apart():
    from spec_augment.policies import POLICIES

    off = fsdd.policy_arguments("none")
    assert all(value == 0 for key, value in off.items() if key != "time_mask_ratio")
    assert fsdd.policy_arguments("full") == {**off, **fsdd.FSDD_POLICY}
    assert fsdd.policy_arguments("FSDD") == fsdd.policy_arguments("full")
    on = {name: {k for k, v in fsdd.policy_arguments(name).items() if v != off[k]} for name in fsdd.COMPONENTS}
    assert on["freq"] == {"freq_mask_param", "n_freq_mask"}
    assert on["time"] == {"time_mask_param", "time_mask_ratio", "n_time_mask"}
    assert on["warp"] == {"time_warp_param"}
    assert on["time+warp"] == on["time"] | on["warp"]
    assert fsdd.policy_arguments("ld") == dict(POLICIES["LD"])
    with pytest.raises(ValueError, match="'pink'"):
        fsdd.policy_arguments("pink")


# ------------------------------------------------------------------------------------------ splits
def assert_disjoint(split):
    parts = [{path for path, _ in part} for part in split]
    assert all(len(part) == len(pairs) for part, pairs in zip(parts, split))  # no duplicates either
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])


def test_official_split_tests_on_takes_0_to_4_and_validates_on_5_to_9():
    split = fsdd.split_recordings(synthetic_items())
    assert_disjoint(split)
    assert (len(split.train), len(split.val), len(split.test)) == (2400, 300, 300)
    assert takes_of(split.test) == set(range(5)) and takes_of(split.val) == set(range(5, 10))
    assert takes_of(split.train) == set(range(10, 50))


def test_train_takes_is_the_low_data_regime():
    split = fsdd.split_recordings(synthetic_items(), train_takes=(10, 14))
    assert_disjoint(split)
    assert (len(split.train), len(split.val), len(split.test)) == (300, 300, 300)
    assert takes_of(split.train) == set(range(10, 15)) and takes_of(split.test) == set(range(5))


def test_held_out_speaker_splits():
    split = fsdd.split_recordings(synthetic_items(), held_out_speaker="theo")
    assert_disjoint(split)
    assert speakers_of(split.test) == {"theo"} and len(split.test) == 500
    assert "theo" not in speakers_of(split.train) | speakers_of(split.val)
    assert takes_of(split.val) == set(range(5, 10)) and len(split.train) == 5 * 10 * 45
    # Another held-out speaker as validation: three groups of speakers.
    split = fsdd.split_recordings(synthetic_items(), held_out_speaker="nicolas", val_speaker="jackson")
    assert_disjoint(split)
    assert (speakers_of(split.test), speakers_of(split.val)) == ({"nicolas"}, {"jackson"})
    assert speakers_of(split.train) == set(SPEAKERS) - {"nicolas", "jackson"} and len(split.train) == 2000
    # Takes 0-4 are only the test set of the official split.
    split = fsdd.split_recordings(synthetic_items(), held_out_speaker="theo", train_takes=(0, 4))
    assert takes_of(split.train) == set(range(5)) and len(split.train) == 250


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(train_takes=(3, 12)), "--train-takes 3-12 overlaps the test takes 0-4"),
        (dict(val_takes=(0, 9)), "--val-takes 0-9 overlaps the test takes"),
        (dict(train_takes=(8, 20)), "--train-takes 8-20 overlaps --val-takes 5-9"),
        (dict(held_out_speaker="nobody"), "'nobody' is not a speaker"),
        (dict(held_out_speaker="theo", val_speaker="theo"), "is the test speaker"),
        (dict(val_speaker="bob"), "--val-speaker 'bob'"),
    ],
)
def test_impossible_splits_are_refused(kwargs, message):
    with pytest.raises(fsdd.DataError, match=re.escape(message)):
        fsdd.split_recordings(synthetic_items(), **kwargs)


@needs_fsdd
def test_splits_of_the_real_dataset():
    items = fsdd.list_recordings(FSDD_RECORDINGS)
    assert len(items) == 3000 and {s for _, _, s, _ in items} == set(SPEAKERS)
    split = fsdd.split_recordings(items)
    assert_disjoint(split)
    assert (len(split.train), len(split.val), len(split.test)) == (2400, 300, 300)
    assert all(re.search(r"_[0-4]\.wav$", path) for path, _ in split.test)
    assert not any(re.search(r"_[0-9]\.wav$", path) for path, _ in split.train)


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_train_fsdd_without_data_exits_2(tmp_path, kind):
    data = tmp_path / "recordings"
    if kind == "empty":
        data.mkdir()
        (data / "README.txt").write_text("no recordings here")
    result = run_train_fsdd("--data", str(data), "--epochs", "1")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(data) in lines[0]


# ------------------------------------------------------------------------------------------ training
def test_paired_runs_share_weights_and_repeat_exactly():
    rng = np.random.default_rng(0)
    def part(n):
        x = rng.normal(-40, 10, (n, fsdd.N_FRAMES, fsdd.N_MELS, 1)).astype("float32")
        return x, rng.integers(0, 10, n, dtype="int32")

    data = {"train": part(64), "val": part(16)}
    plain, augmented = fsdd.Trainer("conv1d", "none"), fsdd.Trainer("conv1d", "full")
    plain.reset(3)
    augmented.reset(3)
    for a, b in zip(plain.classifier.get_weights(), augmented.classifier.get_weights()):
        np.testing.assert_array_equal(a, b)
    plain.reset(4)
    assert not np.array_equal(plain.classifier.get_weights()[2], augmented.classifier.get_weights()[2])
    # The same seed twice (masks, dropout, batch order and all): the same trained weights.
    augmented.reset(5)
    initial = augmented.classifier.get_weights()
    first = augmented.run(data, 5, 2)
    trained = augmented.classifier.get_weights()
    second = augmented.run(data, 5, 2)
    assert first["epochs"] == [1, 2] and first["val"] == second["val"]
    for a, b in zip(trained, augmented.classifier.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(trained[2], initial[2])  # it did train


def test_the_deployable_model_is_the_trained_one_on_waveforms():
    """Waveform -> augmented frontend -> classifier at inference = the classifier on the cached log-mels."""
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((6, fsdd.N_SAMPLES, 1)) * np.hanning(fsdd.N_SAMPLES)[None, :, None]
    waves = (0.1 * noise).astype("float32")
    spectrograms = fsdd.log_mel(waves)
    assert spectrograms.shape == (6, fsdd.N_FRAMES, fsdd.N_MELS, 1)
    trainer = fsdd.Trainer("conv2d", "full")
    trainer.reset(0)
    deployable = trainer.deployable(seed=0)
    expected = trainer.network.predict(spectrograms, verbose=0)
    np.testing.assert_allclose(deployable.predict(waves, verbose=0), expected, rtol=1e-4, atol=1e-4)
    # While training, the deployable frontend masks: its output is not the plain log-mel.
    frontend = deployable.layers[0]
    assert not np.allclose(frontend(waves, training=True), spectrograms)


@needs_fsdd
@pytest.mark.parametrize("model", fsdd.MODELS)
def test_train_fsdd_one_epoch_on_a_subset(model):
    result = run_train_fsdd("--epochs", "1", "--limit", "96", "--seed", "1", "--model", model, "--threads", "1")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "cuInit" not in result.stderr
    last = result.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"test accuracy: (\d\.\d{4})", last)
    assert match, last
    assert 0.0 <= float(match[1]) <= 1.0
    assert f"96 training / 24 validation / 24 test recordings, official split (takes 0-4), {model}" in result.stdout


# ------------------------------------------------------------------------------------------ padded batches
def write_wav(path, samples):
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(fsdd.SAMPLE_RATE)
        wav.writeframes(np.asarray(samples, "<i2").tobytes())


def test_padded_pipeline_keeps_true_lengths_and_pads_with_zeros(tmp_path):
    rng = np.random.default_rng(0)
    sizes = [700, 1200, 300, 1500, 999, 50, 1000]  # 1200 and 1500 are past the cap of 1000
    paths, expected = [], []
    for i, size in enumerate(sizes):
        samples = rng.integers(1, 30000, size) * rng.choice([-1, 1], size)  # never 0: padding is told apart
        write_wav(tmp_path / f"{i}.wav", samples)
        paths.append(tmp_path / f"{i}.wav")
        expected.append((samples[:1000] / 32768.0).astype("float32"))
    waveforms = padded.load_raw_waveforms(paths, max_samples=1000)
    assert [w.shape for w in waveforms] == [(min(size, 1000), 1) for size in sizes]
    digits = np.arange(len(sizes), dtype="int32")  # the digit names the example
    for shuffle_seed in (None, 3):
        seen = []
        for inputs, batch_digits in padded.padded_dataset(waveforms, digits, batch_size=3, shuffle_seed=shuffle_seed):
            batch, lengths, batch_digits = inputs["waveform"].numpy(), inputs["lengths"].numpy(), batch_digits.numpy()
            assert lengths.dtype == np.int32 and batch.shape == (len(lengths), lengths.max(), 1)
            for row, n, digit in zip(batch, lengths, batch_digits):
                assert n == len(expected[digit])  # the true length, capped
                np.testing.assert_array_equal(row[:n, 0], expected[digit])
                assert not row[n:].any()  # zero padding
            seen += list(batch_digits)
        assert sorted(seen) == list(range(len(sizes)))
        if shuffle_seed is None:
            assert seen == list(range(len(sizes)))


def test_padded_model_ignores_the_padding_at_inference():
    """An example's logits do not depend on how long the batch around it is."""
    rng = np.random.default_rng(2)
    model = padded.build_padded_model("full", seed=0)
    long = (0.1 * rng.standard_normal((1, 8000, 1))).astype("float32")
    short = (0.1 * rng.standard_normal((1, 2500, 1))).astype("float32")
    # 2,500 samples have 20 valid frames (those that start before sample 2,500); the 20th ends at
    # sample 2,688, so that is the least padding that keeps them all.
    def pad(to):
        return np.concatenate([short, np.zeros((1, to - 2500, 1), "float32")], axis=1)

    assert int(fsdd.build_frontend(n_samples=None).frame_lengths(np.array([2500]), 2688)[0]) == 20
    alone = model.predict({"waveform": pad(2688), "lengths": np.array([2500])}, verbose=0)
    padded_short = pad(8000)
    together = model.predict(
        {"waveform": np.concatenate([padded_short, long]), "lengths": np.array([2500, 8000])}, verbose=0
    )
    np.testing.assert_allclose(together[0], alone[0], rtol=1e-4, atol=1e-4)
    assert not np.allclose(together[0], together[1], atol=1e-3)  # the model does look at the audio


def test_padded_batch_is_conv1d_only(capsys):
    assert fsdd.parse_args(["--padded-batch"]).padded_batch and not fsdd.parse_args([]).padded_batch
    with pytest.raises(SystemExit):
        fsdd.parse_args(["--padded-batch", "--model", "conv2d"])
    assert "--padded-batch supports --model conv1d only" in capsys.readouterr().err


@needs_fsdd
def test_train_fsdd_padded_batch_one_epoch_on_a_subset():
    result = run_train_fsdd("--padded-batch", "--epochs", "1", "--limit", "96", "--seed", "1", "--threads", "1")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "cuInit" not in result.stderr and "Warning" not in result.stderr
    lines = result.stdout.strip().splitlines()
    match = re.fullmatch(r"test accuracy: (\d\.\d{4})", lines[-1])
    assert match, lines[-1]
    assert float(match[1]) * 24 == pytest.approx(round(float(match[1]) * 24), abs=0.01)  # k of 24 test files
    assert "96 training / 24 validation / 24 test recordings, official split (takes 0-4), conv1d, padded batches" in (
        result.stdout
    )
    assert lines[0].startswith("epoch   1: validation accuracy ")


# ------------------------------------------------------------------------------------------ study
def test_paired_stats_on_fixed_numbers():
    stats = study.paired_stats([0.9, 0.8, 0.7, 0.75], [0.8, 0.8, 0.75, 0.7])  # differences .1, 0, -.05, .05
    assert (stats["n"], stats["positive"], stats["negative"]) == (4, 2, 1)
    assert stats["mean"] == pytest.approx(0.025)
    assert stats["std"] == pytest.approx(np.std([0.1, 0.0, -0.05, 0.05], ddof=1))
    assert study.paired_stats([0.5], [0.25]) == dict(n=1, mean=0.25, std=0.0, positive=1, negative=0)
    with pytest.raises(ValueError, match="equally many"):
        study.paired_stats([0.5, 0.6], [0.5])
    with pytest.raises(ValueError, match="equally many"):
        study.paired_stats([], [])


@pytest.mark.parametrize(
    "treated, control, verdict",
    [
        ([0.9, 0.8, 0.7], [0.8, 0.7, 0.6], "helped"),  # the same +0.1 every time
        ([0.70, 0.72, 0.69, 0.71, 0.70], [0.80, 0.81, 0.80, 0.79, 0.82], "hurt"),
        ([0.8, 0.6, 0.8, 0.6, 0.81], [0.7, 0.7, 0.7, 0.7, 0.7], "unclear"),  # mixed signs: t is about 0.4
        ([0.9], [0.1], "unclear"),  # one pair proves nothing
        ([0.5, 0.6], [0.5, 0.6], "unclear"),
    ],
)
def test_verdict_is_a_paired_t_test(treated, control, verdict):
    assert study._verdict(study.paired_stats(treated, control)) == verdict


def test_choose_epoch_takes_the_best_mean_validation_checkpoint():
    runs = [dict(epochs=[2, 4, 6], val=[0.5, 0.9, 0.8]), dict(epochs=[2, 4, 6], val=[0.6, 0.7, 0.8])]
    assert study.choose_epoch(runs) == 4  # means .55, .80, .80: the earliest of the ties
    assert study.choose_epoch(runs[1:]) == 6


def synthetic_runs(gain):
    """Two models x 3 conditions x 2 regimes x 2 seeds; ``gain[(model, condition)]`` is added to validation
    and (doubled) to test accuracy at epoch 2; epoch 1 is worse everywhere."""
    runs = []
    for model in ("conv1d", "conv2d"):
        for condition in ("none", "time", "full"):
            for regime in ("low:10-14", "official"):
                for seed in (0, 1):
                    g = gain.get((model, condition), 0.0)
                    base = 0.6 + 0.1 * seed
                    runs.append(dict(model=model, condition=condition, regime=regime, seed=seed, epochs=[1, 2],
                                     val=[0.1, base + g], test=[0.1, base + 2 * g], seconds=1.0))
    return runs


META = dict(
    command="python examples/fsdd_study.py --seeds 2",
    date="2026-11-25 23:00 UTC",
    wall_seconds=600.0,
    machine="Test CPU, 2 cores",
    threads=1,
    seeds_text="2 in the low-data regime, 2 in the others",
    regime_labels={"low:10-14": "low data (takes 10-14)", "official": "official split"},
    regime_info={
        "low:10-14": dict(sizes="300 / 300 / 300", epochs=2),
        "official": dict(sizes="2,400 / 300 / 300", epochs=2),
    },
)


def test_analysis_chooses_on_validation():
    runs = synthetic_runs({("conv1d", "time"): 0.05, ("conv1d", "full"): -0.1, ("conv2d", "full"): 0.08})
    # Test accuracy says the opposite of validation for conv2d: the choice must not look at it.
    for run in runs:
        if run["model"] == "conv2d" and run["condition"] == "full":
            run["test"] = [0.1, 0.2]
    analysis = study.analyse(runs)
    assert analysis["choice"] == {"conv1d": "time", "conv2d": "full"}
    assert analysis["model"] == "conv2d"
    assert all(cell["epoch"] == 2 for cell in analysis["cells"].values())
    assert analysis["cells"][("conv1d", "official")]["time"]["val"] == pytest.approx([0.65, 0.75])


def test_report_renders_summary_command_and_tables():
    report = study.render_report(synthetic_runs({("conv1d", "time"): 0.05, ("conv2d", "full"): -0.02}), META)
    assert report.count(study.SUMMARY_START) == 1 and report.count(study.SUMMARY_END) == 1
    summary = report.split(study.SUMMARY_START)[1].split(study.SUMMARY_END)[0]
    assert "**conv1d** model with **time masks only** (`--policy time`)" in summary
    assert "| low data (takes 10-14) | 65.0 ± 7.1 | 75.0 ± 7.1 | +10.0 ± 0.0 (2/2) |" in summary
    # The exact command stands above the first table of the full report.
    body = report.split(study.SUMMARY_END)[1]
    assert body.index(META["command"]) < body.index("|")
    assert "AMD" not in report and "Test CPU, 2 cores" in report and "10 min" in report
    assert "| time masks only | +5.0 ± 0.0 (2/2) | +5.0 ± 0.0 (2/2) | +5.0 |" in report
    assert "| full policy | -2.0 ± 0.0 (0/2) | -2.0 ± 0.0 (0/2) | -2.0 |" in report
    hurt = "**conv2d**, hurt (paired t-test, 5 %): full policy in low data (takes 10-14) (-2.0)"
    assert hurt in report
    assert "**conv2d**: no augmentation (`--policy none`)" in report
    # Per run: test accuracy only for no augmentation and the chosen policy.
    assert "| conv1d | official split | time | 0: 65.0 / 70.0, 1: 75.0 / 80.0 |" in report
    assert "| conv1d | official split | full | 0: 60.0, 1: 70.0 |" in report


def test_report_when_no_augmentation_wins():
    report = study.render_report(synthetic_runs({("conv1d", "time"): -0.01, ("conv1d", "full"): -0.03}), META)
    summary = report.split(study.SUMMARY_START)[1].split(study.SUMMARY_END)[0]
    assert "with **no augmentation** (`--policy none`)" in summary
    assert "| official split | 65.0 ± 7.1 | 63.0 ± 7.1 | -2.0 ± 0.0 (0/2) |" in summary  # the best augmentation
    assert "`time` was the best augmentation on validation" in summary


def test_study_cli(tmp_path, capsys):
    args = study.parse_args(["--speakers", "nicolas:jackson", "--seeds", "2"])
    plan = study.regimes(args)
    assert list(plan) == ["low:10-14", "official", "speaker:nicolas"]
    assert plan["speaker:nicolas"]["split"] == dict(held_out_speaker="nicolas", val_speaker="jackson")
    assert plan["low:10-14"]["split"] == dict(train_takes=(10, 14)) and plan["official"]["seeds"] == [0, 1]
    for argv, message in [
        (["--conditions", "time", "full"], "--conditions must include none"),
        (["--speakers", "nicolas"], "expected TEST:VALIDATION speakers"),
        (["--speakers", "theo:theo"], "expected TEST:VALIDATION speakers"),
        (["--low-seeds", "0"], "--low-seeds must be >= 1"),
    ]:
        with pytest.raises(SystemExit):
            study.parse_args(argv)
        assert message in capsys.readouterr().err
    assert study.main(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "report.md")]) == 2
    assert "FSDD recordings not found" in capsys.readouterr().err and not (tmp_path / "report.md").exists()


def test_the_printed_command_reproduces_what_ran():
    argv = ["--seeds", "5", "--deadline=50", "--out", "docs/x.md", "--low-seeds", "8", "--json", "/tmp/x.json"]
    argv += ["--epochs", "8"]
    runs = [dict(regime="low:10-14", seed=s) for s in range(3)] + [dict(regime="official", seed=s) for s in range(2)]
    assert study.achieved_command(argv, runs) == "python examples/fsdd_study.py --epochs 8 --low-seeds=3 --seeds=2"

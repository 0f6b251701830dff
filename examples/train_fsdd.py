"""Train a small CNN spoken-digit classifier on FSDD with the one-line augmented mel frontend.

The model's first layer is ``spec_augment.composed.get_augmented_melspectrogram_layer``: raw 8 kHz
waveforms (padded or trimmed to 1 s) go in, kapre computes a log-mel spectrogram and SpecAugment
masks it while training (it is an identity in ``predict``/``evaluate``). A ``tf.data`` pipeline
decodes the WAV files, pads/trims, caches, shuffles, batches and prefetches.

Usage (from the repository root)::

    python examples/train_fsdd.py                                # official split, default policy
    python examples/train_fsdd.py --held-out-speaker theo        # train on 5 speakers, test on theo
    python examples/train_fsdd.py --no-augment --epochs 40 --seed 1

The last line printed is ``test accuracy: 0.XXXX``.

Data: the Free Spoken Digit Dataset (``{digit}_{speaker}_{take}.wav``, 8 kHz mono), expected at
``../shared/data/fsdd/recordings`` relative to the repository root (``--data`` to change). The
default split is the dataset's own: takes 0-4 of every digit and speaker are the test set,
takes 5-49 the training set. ``--held-out-speaker NAME`` trains on the other speakers and tests on
all 500 recordings of NAME (the harder split).

Augmentation policy. The paper's policies (Park et al. 2019, Table 1) are tuned for LibriSpeech
utterances of ~15 s at a 10 ms hop: LD's time warp W=80 and time mask T=100 frames are 0.8 s and
1 s. Here one example is 1 s at a 16 ms hop (8000 samples, hop 128): 61 frames and 40 mel bins,
with the spoken digit itself filling only ~25 of the frames. With W=80 the warp never happens
(the layer skips it when ``tau <= 2 W``) and T=100 could blank the whole digit. The default
policy ``FSDD`` keeps the structure of the paper's SM policy (two frequency and two time masks,
time masks capped at ``p = 0.2`` of the frames) and scales the absolute sizes to this geometry:

    W = 5 frames (80 ms),  F = 8 of 40 mel bins (SM's 15 of 80, rounded),  mF = 2,
    T = 10 frames (160 ms; p = 0.2 would allow 12),  mT = 2

``--policy LB|LD|SM|SS`` uses a paper policy unchanged, for comparison. On 61 frames their warp
never applies (W = 80 or 40 needs more than 2 W frames), LB/LD's time masks may cover the whole
example (T = 100, p = 1) and SM/SS's are capped by p = 0.2 at 12 frames.

``examples/fsdd_study.py`` compares training with and without augmentation over held-out speakers
and seeds; its results are in ``examples/fsdd_study.md``.
"""

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "fsdd" / "recordings"

SAMPLE_RATE = 8000
N_SAMPLES = 8000  # 1 s: waveforms are zero-padded or trimmed to this length
N_FFT = 256
HOP_LENGTH = 128
N_MELS = 40
N_CLASSES = 10
TEST_TAKES = range(0, 5)  # the dataset's official split: takes 0-4 test, 5-49 train

# The default policy, scaled to 1 s / 61 frames / 40 mel bins (see the module docstring).
FSDD_POLICY = dict(
    time_warp_param=5,
    freq_mask_param=8,
    n_freq_mask=2,
    time_mask_param=10,
    time_mask_ratio=0.2,
    n_time_mask=2,
)
POLICY_NAMES = ("FSDD", "LB", "LD", "SM", "SS")
DEFAULT_POLICY = "FSDD"

FILE_PATTERN = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)\.wav$")


class DataError(Exception):
    """The data directory is missing, empty or cannot be split as asked."""


# ---------------------------------------------------------------------------------------- data
def list_recordings(data_dir):
    """``[(path, digit, speaker, take)]`` of every ``{digit}_{speaker}_{take}.wav`` in ``data_dir``."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(
            f"FSDD recordings not found: {data_dir} is not a directory. Get the Free Spoken Digit "
            f"Dataset's recordings/ folder there or pass --data DIR."
        )
    items = []
    for path in sorted(data_dir.iterdir()):
        match = FILE_PATTERN.match(path.name)
        if match and path.is_file():
            items.append((str(path), int(match[1]), match[2], int(match[3])))
    if not items:
        raise DataError(
            f"No FSDD recordings ({{digit}}_{{speaker}}_{{take}}.wav) in {data_dir}. "
            f"Pass --data DIR pointing at the dataset's recordings/ folder."
        )
    return items


def split_recordings(items, held_out_speaker=None, limit=None, seed=0):
    """Train/test lists of ``(path, digit)``.

    ``held_out_speaker=None``: the official split (takes 0-4 test). Otherwise all recordings of
    that speaker are the test set. ``limit`` (for quick runs and tests) keeps a random subset of
    at most ``limit`` training and ``max(1, limit // 4)`` test recordings.
    """
    if held_out_speaker is None:
        train = [(p, d) for p, d, s, t in items if t not in TEST_TAKES]
        test = [(p, d) for p, d, s, t in items if t in TEST_TAKES]
    else:
        speakers = sorted({s for _, _, s, _ in items})
        if held_out_speaker not in speakers:
            raise DataError(
                f"--held-out-speaker {held_out_speaker!r} is not a speaker of the dataset; "
                f"speakers: {', '.join(speakers)}."
            )
        train = [(p, d) for p, d, s, t in items if s != held_out_speaker]
        test = [(p, d) for p, d, s, t in items if s == held_out_speaker]
    if limit is not None:
        rng = random.Random(seed)
        train = sorted(rng.sample(train, min(limit, len(train))))
        test = sorted(rng.sample(test, min(max(1, limit // 4), len(test))))
    if not train or not test:
        raise DataError(f"The split is empty: {len(train)} training and {len(test)} test recordings.")
    return train, test


def load_waveform(path):
    """A WAV file -> float32 ``(N_SAMPLES, 1)`` in [-1, 1], zero-padded or trimmed at the end."""
    import tensorflow as tf

    audio, _ = tf.audio.decode_wav(tf.io.read_file(path), desired_channels=1)  # (samples, 1)
    audio = audio[:N_SAMPLES]
    return tf.pad(audio, [[0, N_SAMPLES - tf.shape(audio)[0]], [0, 0]])


def make_dataset(pairs, batch_size, shuffle, seed=None):
    """A ``tf.data`` pipeline: decode -> pad/trim -> cache -> [shuffle] -> batch -> prefetch."""
    import tensorflow as tf

    paths = [p for p, _ in pairs]
    labels = [d for _, d in pairs]
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    ds = ds.map(lambda p, y: (load_waveform(p), y), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.cache()  # the decoded waveforms are small (~100 MB for all of FSDD)
    if shuffle:
        ds = ds.shuffle(len(pairs), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------------- model
def frontend_arguments(policy=DEFAULT_POLICY, augment=True, seed=None):
    """Keyword arguments of ``get_augmented_melspectrogram_layer`` for this task."""
    kwargs = dict(
        input_shape=(N_SAMPLES, 1),
        n_fft=N_FFT,
        hop_length=HOP_LENGTH,
        sample_rate=SAMPLE_RATE,
        n_mels=N_MELS,
        mel_f_max=SAMPLE_RATE / 2,
        return_decibel=True,
        input_data_format="channels_last",
        output_data_format="channels_last",
        mask_value="mean",
        seed=seed,
        name="augmented_melspectrogram",
    )
    if not augment:
        # No masks and no warp: the frontend is the plain log-mel spectrogram.
        kwargs.update(freq_mask_param=0, time_mask_param=0, n_freq_mask=0, n_time_mask=0, time_warp_param=0)
    elif policy.upper() == "FSDD":
        kwargs.update(FSDD_POLICY)
    else:
        kwargs["policy"] = policy.upper()
    return kwargs


def build_model(policy=DEFAULT_POLICY, augment=True, seed=None, learning_rate=1e-3, decay_steps=None):
    """Waveform (batch, 8000, 1) -> logits (batch, 10): augmented log-mel frontend + a small CNN."""
    import keras
    from keras import layers

    from spec_augment.composed import get_augmented_melspectrogram_layer

    frontend = get_augmented_melspectrogram_layer(**frontend_arguments(policy, augment, seed))

    def conv_block(filters):
        return [
            layers.Conv1D(filters, 3, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
        ]

    n_frames = 1 + (N_SAMPLES - N_FFT) // HOP_LENGTH
    model = keras.Sequential(
        [
            keras.Input((N_SAMPLES, 1)),
            frontend,  # (batch, 61, 40, 1): log-mel, masked while training
            layers.Reshape((n_frames, N_MELS)),  # mel bins as channels: 1-D convolutions over time
            # Per-example standardization. Not BatchNormalization: its moving statistics would be
            # taken on masked spectrograms and then applied to clean ones at test time.
            layers.LayerNormalization(axis=(1, 2)),
            *conv_block(64),
            layers.MaxPooling1D(2),
            *conv_block(64),
            layers.MaxPooling1D(2),
            *conv_block(128),
            layers.GlobalAveragePooling1D(),
            layers.Dropout(0.3),
            layers.Dense(N_CLASSES),
        ],
        name="fsdd_cnn",
    )
    schedule = learning_rate
    if decay_steps:
        schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps, alpha=0.02)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


# ---------------------------------------------------------------------------------------- run
def train_and_evaluate(
    data_dir=DEFAULT_DATA,
    epochs=40,
    held_out_speaker=None,
    augment=True,
    policy=DEFAULT_POLICY,
    seed=0,
    batch_size=64,
    limit=None,
    verbose=1,
):
    """Train one model; returns ``dict(test_accuracy, train_size, test_size, seconds, model)``.

    Raises :class:`DataError` for a missing/empty data directory or an impossible split.
    """
    items = list_recordings(data_dir)
    train_pairs, test_pairs = split_recordings(items, held_out_speaker, limit, seed)

    import keras

    keras.utils.set_random_seed(seed)  # Python, NumPy and TF seeds: weights, dropout, shuffle
    train_ds = make_dataset(train_pairs, batch_size, shuffle=True, seed=seed)
    test_ds = make_dataset(test_pairs, batch_size, shuffle=False)
    steps_per_epoch = -(-len(train_pairs) // batch_size)
    model = build_model(policy, augment, seed=seed, decay_steps=epochs * steps_per_epoch)
    start = time.perf_counter()
    model.fit(train_ds, epochs=epochs, verbose=verbose)
    _, accuracy = model.evaluate(test_ds, verbose=0)
    return dict(
        test_accuracy=float(accuracy),
        train_size=len(train_pairs),
        test_size=len(test_pairs),
        seconds=time.perf_counter() - start,
        model=model,
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Train a small CNN on FSDD spoken digits with the augmented mel frontend.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="FSDD recordings/ directory")
    parser.add_argument("--epochs", type=int, default=40, help="training epochs")
    parser.add_argument(
        "--held-out-speaker",
        default=None,
        metavar="NAME",
        help="test on all recordings of this speaker, train on the others "
        "(default: %(default)s, i.e. the dataset's official split: takes 0-4 test, 5-49 train)",
    )
    parser.add_argument("--no-augment", action="store_true", help="train without SpecAugment (plain log-mel)")
    parser.add_argument(
        "--policy",
        default=DEFAULT_POLICY,
        type=str.upper,
        choices=POLICY_NAMES,
        help="FSDD = the paper's SM policy scaled to 1 s / 61 frames / 40 mels "
        "(W=5, F=8, mF=2, T=10, p=0.2, mT=2); LB/LD/SM/SS = the paper's Table 1 unchanged",
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds weights, shuffling and the masks")
    parser.add_argument("--batch-size", type=int, default=64, help=argparse.SUPPRESS)
    # Hidden, for quick runs and the tests: at most N training files (and N // 4 test files).
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be >= 1")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        # Fail on missing data before paying for the TensorFlow import.
        list_recordings(args.data)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        result = train_and_evaluate(
            data_dir=args.data,
            epochs=args.epochs,
            held_out_speaker=args.held_out_speaker,
            augment=not args.no_augment,
            policy=args.policy,
            seed=args.seed,
            batch_size=args.batch_size,
            limit=args.limit,
        )
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    split = f"speaker {args.held_out_speaker} held out" if args.held_out_speaker else "official split (takes 0-4)"
    augmentation = "no augmentation" if args.no_augment else f"SpecAugment policy {args.policy}"
    print(
        f"{result['train_size']} training / {result['test_size']} test recordings, {split}, "
        f"{augmentation}, {args.epochs} epochs, seed {args.seed}: {result['seconds']:.0f} s"
    )
    print(f"test accuracy: {result['test_accuracy']:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

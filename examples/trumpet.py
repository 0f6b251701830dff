"""SpecAugment on librosa's trumpet example: the README pictures, end to end, on any Keras backend.

1. ``images/mel.png``: the log-mel spectrogram of ``librosa.ex('trumpet')``, computed by the package's own
   frontend at inference (``get_augmented_melspectrogram_layer(n_fft=1024, n_mels=256,
   return_decibel=True, use_kapre=False)`` called without ``training``: kapre's numbers, on every backend).
2. ``images/mel_transformed.png``: the same frontend with the original README's augmentation,
   ``SpecAugment(freq_mask_param=5, time_mask_param=10, n_freq_mask=5, n_time_mask=3, mask_value=-100)``,
   called with ``training=True``: five frequency and three time masks at -100 dB.
3. ``images/mel_policy.png``: the one-line frontend with ``policy='LD'``: time warp (W=80), two frequency
   masks (F=27) and two time masks (T=100), filled with the example's mean.

Usage (from the repository root; ``KERAS_BACKEND=jax`` or ``torch`` works too)::

    LIBROSA_DATA_DIR=../shared/data/librosa python examples/trumpet.py            # --seed 0, images/
    python examples/trumpet.py --seed 3 --out-dir /tmp/pictures

The committed pictures come from the defaults (``--seed 0``) on the TensorFlow backend: a seed gives the
same masks run after run on one backend, other masks on another (each backend has its own random number
generator). ``librosa.ex`` downloads the trumpet once into ``LIBROSA_DATA_DIR`` (or librosa's cache). When
that variable is unset and ``../shared/data/librosa`` exists next to the repository, the script uses it.
When the recording is not cached and cannot be downloaded (no network, or ``--no-download``), the script
says so in one line and uses a synthesized harmonic tone instead.
"""

import argparse
import os
import pathlib
import socket

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_LIBROSA_DATA = REPO.parent / "shared" / "data" / "librosa"

# librosa reads LIBROSA_DATA_DIR once, when it is imported.
if "LIBROSA_DATA_DIR" not in os.environ and SHARED_LIBROSA_DATA.is_dir():
    os.environ["LIBROSA_DATA_DIR"] = str(SHARED_LIBROSA_DATA)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # level 2 still prints the CUDA probe's "failed call to cuInit" on CPU machines

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # files only, no display needed

import keras  # noqa: E402
import librosa  # noqa: E402
import librosa.display  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pooch  # noqa: E402

from spec_augment.composed import get_augmented_melspectrogram_layer  # noqa: E402

SAMPLE_RATE = 22050
N_FFT = 1024
HOP_LENGTH = N_FFT // 4  # kapre's default: win_length // 4
N_MELS = 256
TRUMPET_FILE = "sorohanro_-_solo-trumpet-06.ogg"  # what librosa.ex('trumpet') fetches
DOWNLOAD_TIMEOUT_S = 10  # a blocked network fails after this instead of hanging


def synthesized_tone(sample_rate=SAMPLE_RATE, seconds=5.0):
    """A trumpet-like stand-in: a rising four-note phrase of harmonic tones with soft attacks."""
    notes_hz = (523.25, 659.25, 783.99, 1046.50)  # C5 E5 G5 C6
    note_samples = int(sample_rate * seconds / len(notes_hz))
    time_s = np.arange(note_samples) / sample_rate
    envelope = np.minimum(time_s / 0.05, 1.0) * np.exp(-1.5 * time_s)
    phrase = []
    for fundamental in notes_hz:
        note = sum(
            np.sin(2 * np.pi * harmonic * fundamental * time_s) / harmonic
            for harmonic in range(1, 12)
            if harmonic * fundamental < sample_rate / 2
        )
        phrase.append(0.2 * envelope * note)
    return np.concatenate(phrase).astype("float32")


def load_audio(allow_download):
    """(waveform, sample rate, description): the trumpet if it can be had quickly, else the tone."""
    data_dir = pathlib.Path(os.environ.get("LIBROSA_DATA_DIR") or pooch.os_cache("librosa"))
    if (data_dir / TRUMPET_FILE).is_file() or allow_download:
        pooch.get_logger().setLevel("WARNING")  # no "Downloading ..." chatter
        previous_timeout = socket.getdefaulttimeout()
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
        try:
            path = librosa.ex("trumpet")
            waveform, sample_rate = librosa.load(path, sr=SAMPLE_RATE)
            return waveform, sample_rate, f"librosa.ex('trumpet') ({path})"
        except Exception as error:  # any download or decoding failure -> the fallback
            message = (str(error).splitlines() or [""])[0]
            reason = f"{type(error).__name__}: {message[:100]}{'...' if len(message) > 100 else ''}"
        finally:
            socket.setdefaulttimeout(previous_timeout)
    else:
        reason = f"not cached in {data_dir} and --no-download given"
    print(f"Trumpet recording unavailable ({reason}); using a synthesized harmonic tone instead.")
    return synthesized_tone(), SAMPLE_RATE, "a synthesized harmonic tone (C5 E5 G5 C6, 5 s)"


def plot_melspectrogram(melgram, sample_rate, path, title, vmin=None, vmax=None):
    """Save a (time, mel) decibel spectrogram: seconds on x, mel frequency in Hz on y, a dB bar."""
    figure, axes = plt.subplots(figsize=(10, 4))
    image = librosa.display.specshow(
        melgram.T,  # specshow wants (freq, time)
        sr=sample_rate,
        hop_length=HOP_LENGTH,
        x_axis="time",
        y_axis="mel",
        fmax=sample_rate / 2,  # kapre's mel_f_max=None
        cmap="magma",
        vmin=vmin,
        vmax=vmax,
        ax=axes,
    )
    figure.colorbar(image, ax=axes, format="%+2.0f dB")
    axes.set(title=title, xlabel="Time (s)", ylabel="Mel frequency (Hz)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the SpecAugment layers (default 0)")
    parser.add_argument("--out-dir", type=pathlib.Path, default=REPO / "images", help="where the PNGs go")
    parser.add_argument("--no-download", action="store_true", help="use only a cached trumpet; never download")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    waveform, sample_rate, source = load_audio(allow_download=not args.no_download)
    audio = waveform.reshape(1, -1, 1)  # (batch, time, channels): channels_last
    input_shape = audio.shape[1:]

    # The package's own spectrogram layers (use_kapre=False): the same pictures on every backend, no kapre.
    options = dict(
        input_shape=input_shape,
        n_fft=N_FFT,
        n_mels=N_MELS,
        sample_rate=sample_rate,
        return_decibel=True,
        input_data_format="channels_last",
        output_data_format="channels_last",
        seed=args.seed,
        use_kapre=False,
    )
    # The original README's example in one line: the mel spectrogram, then SpecAugment with its arguments.
    frontend = get_augmented_melspectrogram_layer(
        **options, freq_mask_param=5, time_mask_param=10, n_freq_mask=5, n_time_mask=3, mask_value=-100,
        name="trumpet",
    )
    frontend.summary()
    original = keras.ops.convert_to_numpy(frontend(audio, training=False))[0, :, :, 0]  # (time, mel)
    transformed = keras.ops.convert_to_numpy(frontend(audio, training=True))[0, :, :, 0]

    # The paper's LD policy (time warp on, masks filled with the mean).
    with_policy_frontend = get_augmented_melspectrogram_layer(**options, policy="LD", name="trumpet_ld")
    with_policy = keras.ops.convert_to_numpy(with_policy_frontend(audio, training=True))[0, :, :, 0]

    # One colour scale for the first two pictures, so the only difference is the masks.
    vmin, vmax = min(original.min(), transformed.min()), max(original.max(), transformed.max())
    seconds = len(waveform) / sample_rate
    pictures = [
        (
            "mel.png",
            original,
            "Original mel spectrogram",
            dict(vmin=vmin, vmax=vmax),
            f"get_augmented_melspectrogram_layer(n_fft={N_FFT}, n_mels={N_MELS}, return_decibel=True, "
            "use_kapre=False), inference",
        ),
        (
            "mel_transformed.png",
            transformed,
            "SpecAugment(F=5, T=10, mF=5, mT=3, mask_value=-100)",
            dict(vmin=vmin, vmax=vmax),
            "the same frontend, augmented: freq_mask_param=5, time_mask_param=10, n_freq_mask=5, n_time_mask=3, "
            f"mask_value=-100, seed={args.seed}, training=True",
        ),
        (
            "mel_policy.png",
            with_policy,
            "get_augmented_melspectrogram_layer(policy='LD'): warp + masks filled with the mean",
            {},
            f"get_augmented_melspectrogram_layer(n_fft={N_FFT}, n_mels={N_MELS}, return_decibel=True, "
            f"use_kapre=False, policy='LD', seed={args.seed}) (W=80, F=27, mF=2, T=100, mT=2, mask_value='mean'), "
            "training=True",
        ),
    ]
    print(f"backend: {keras.backend.backend()}; audio: {source}, {seconds:.2f} s at {sample_rate} Hz; "
          f"melspectrogram {original.shape[0]} frames x {original.shape[1]} mel bins (hop {HOP_LENGTH})")
    for file_name, melgram_values, title, limits, how in pictures:
        path = args.out_dir / file_name
        plot_melspectrogram(melgram_values, sample_rate, path, title, **limits)
        print(f"wrote {path}: {how}")


if __name__ == "__main__":
    main()

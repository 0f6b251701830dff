"""The augmentation policies of Park et al. 2019 (arXiv 1904.08779), Table 1."""

from types import MappingProxyType

# name -> layer arguments; paper symbols: W, F, mF, T, p, mT
POLICIES = MappingProxyType(
    {
        "LB": dict(time_warp_param=80, freq_mask_param=27, n_freq_mask=1, time_mask_param=100, time_mask_ratio=1.0, n_time_mask=1),
        "LD": dict(time_warp_param=80, freq_mask_param=27, n_freq_mask=2, time_mask_param=100, time_mask_ratio=1.0, n_time_mask=2),
        "SM": dict(time_warp_param=40, freq_mask_param=15, n_freq_mask=2, time_mask_param=70, time_mask_ratio=0.2, n_time_mask=2),
        "SS": dict(time_warp_param=40, freq_mask_param=27, n_freq_mask=2, time_mask_param=70, time_mask_ratio=0.2, n_time_mask=2),
    }
)


def policy_arguments(name):
    """The layer arguments of a Table 1 policy (``'LB'``, ``'LD'``, ``'SM'``, ``'SS'``; any case)."""
    if not isinstance(name, str) or name.upper() not in POLICIES:
        raise ValueError(f"Unknown SpecAugment policy {name!r}; known policies: {', '.join(POLICIES)}.")
    return dict(POLICIES[name.upper()])

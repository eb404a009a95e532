"""Anomaly detection switches: detect_anomaly and set_detect_anomaly, with the state they set
(fasttensor.is_anomaly_enabled / is_anomaly_check_nan_enabled / set_anomaly_enabled).

Only the switches: fasttensor's C++ engine neither records forward tracebacks nor checks backward
results for NaN, so turning detection on changes no result or error.
"""

from __future__ import annotations

import warnings

from .._type_names import type_name

__all__ = ["detect_anomaly", "set_detect_anomaly"]

_state = {"enabled": False, "check_nan": True}


def is_anomaly_enabled() -> bool:
    return _state["enabled"]


def is_anomaly_check_nan_enabled() -> bool:
    return _state["check_nan"]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    for position, (name, value) in enumerate((("enabled", enabled), ("check_nan", check_nan)), 1):
        if not isinstance(value, bool):
            raise TypeError(f"set_anomaly_enabled(): argument '{name}' (position {position}) must be bool, not "
                            f"{type_name(value)}")
    _state["enabled"] = enabled
    _state["check_nan"] = check_nan


class detect_anomaly:
    """Context manager turning anomaly detection on (it warns that this is for debugging)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """set_detect_anomaly(mode) switches anomaly detection at once and, used with `with`, restores it after."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)

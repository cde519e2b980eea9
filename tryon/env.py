"""Strict environment parsing: a bad value stops start-up with a message naming the variable, never a
silent default. The parser lives in generation.env, so the engine reads its settings the same way."""

from generation.env import (
    EnvError,
    env_bool,
    env_choice,
    env_duration,
    env_float,
    env_int,
    env_list,
    env_str,
    env_url,
)

__all__ = [
    "EnvError",
    "env_bool",
    "env_choice",
    "env_duration",
    "env_float",
    "env_int",
    "env_list",
    "env_str",
    "env_url",
]

"""The seed's secrets types: Secret.env(...) entries, injection scopes, violation actions.

A secret's value never enters the guest. Here it is kept out of repr()
and of every error message; where it comes from in the rendered file
(inline `value`, `value_file`, `value_env`) is the caller's choice, and a
file or an environment variable keeps it out of the configuration file.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from . import _check as c


class ViolationAction(enum.StrEnum):
    """What happens when a secret's placeholder heads for a host it is not allowed on."""

    BLOCK = "block"
    BLOCK_AND_LOG = "block-and-log"
    BLOCK_AND_TERMINATE = "block-and-terminate"
    PASSTHROUGH = "passthrough"

    @classmethod
    def _missing_(cls, value: object):  # "block_and_log" is accepted too, as by sbgw
        if isinstance(value, str):
            for member in cls:
                if member.value == value.replace("_", "-"):
                    return member
        return None

    @property
    def config_name(self) -> str:
        """The spelling config.md uses ("block_and_log")."""
        return self.value.replace("-", "_")


def _action(value: object, what: str) -> ViolationAction:
    if isinstance(value, ViolationAction):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected a ViolationAction or a string, got {type(value).__name__}")
    try:
        return ViolationAction(value)
    except ValueError:
        raise ValueError(f"{what}: unknown violation action: {c.quote(value)}") from None


def _host_list(value: object, what: str, patterns: bool) -> tuple[str, ...]:
    items = c.str_tuple(value, what)
    for text in items:
        if not patterns and text.startswith("*."):
            raise ValueError(f'{what}: "{c.quote(text)}" is a pattern; list it in {what.removesuffix("s")}_patterns')
        reason = c.host_pattern_reason(text) if patterns else c.domain_reason(text)
        if reason is not None:
            kind = "host pattern" if patterns else "host"
            raise ValueError(f'{what}: invalid {kind} "{c.quote(text)}": {reason}')
    return items


@dataclass(frozen=True)
class ViolationPolicy:
    """A violation action with passthrough hosts (semantics §1.11, Q7)."""

    fallback: ViolationAction = ViolationAction.BLOCK_AND_LOG
    passthrough_hosts: tuple[str, ...] = ()
    passthrough_host_patterns: tuple[str, ...] = ()
    passthrough_all_hosts: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "fallback", _action(self.fallback, "fallback"))
        object.__setattr__(self, "passthrough_hosts",
                           _host_list(self.passthrough_hosts, "passthrough_hosts", False))
        object.__setattr__(self, "passthrough_host_patterns",
                           _host_list(self.passthrough_host_patterns, "passthrough_host_patterns", True))
        c.expect_bool(self.passthrough_all_hosts, "passthrough_all_hosts")
        if self.fallback == ViolationAction.PASSTHROUGH:
            raise ValueError("passthrough fallback must be a blocking action")
        if self.has_passthrough and self.fallback != ViolationAction.BLOCK_AND_LOG:
            # Q7: microsandbox drops the fallback when passthrough hosts are set.
            raise ValueError(
                "fallback has no effect together with passthrough hosts (hosts outside them get "
                "on_secret_violation); remove it"
            )

    @property
    def has_passthrough(self) -> bool:
        return bool(self.passthrough_hosts or self.passthrough_host_patterns or self.passthrough_all_hosts)

    @classmethod
    def passthrough(
        cls,
        hosts: tuple[str, ...] = (),
        patterns: tuple[str, ...] = (),
        *,
        all_hosts: bool = False,
    ) -> ViolationPolicy:
        return cls(passthrough_hosts=hosts, passthrough_host_patterns=patterns, passthrough_all_hosts=all_hosts)


def violation(value: object, what: str) -> ViolationAction | ViolationPolicy:
    if isinstance(value, ViolationPolicy):
        return value
    return _action(value, what)


@dataclass(frozen=True)
class SecretInjection:
    """Where a placeholder is replaced by the secret's value."""

    headers: bool = True
    basic_auth: bool = True
    query_params: bool = False
    body: bool = False

    def __post_init__(self) -> None:
        for name in ("headers", "basic_auth", "query_params", "body"):
            c.expect_bool(getattr(self, name), name)


@dataclass(frozen=True)
class SecretEntry:
    """One secret: an environment variable of the guest holding a placeholder.

    Exactly one of value, value_file (read by sbgw when it loads the file)
    or value_env (an environment variable of the sbgw process) is set.
    """

    env_var: str
    value: str | None = field(default=None, repr=False)
    allow_hosts: tuple[str, ...] = ()
    allow_host_patterns: tuple[str, ...] = ()
    placeholder: str | None = None
    require_tls: bool = True
    on_violation: ViolationAction | ViolationPolicy | None = None
    injection: SecretInjection | None = None
    value_file: str | None = None
    value_env: str | None = None

    def __post_init__(self) -> None:
        env = c.expect_str(self.env_var, "env_var")
        if not env:
            raise ValueError("env_var must not be empty")
        if "=" in env:
            raise ValueError("env_var must not contain `=`")
        sources = [s for s in (self.value, self.value_file, self.value_env) if s is not None]
        if not sources:
            raise ValueError("exactly one of value, value_file or value_env is required")
        if len(sources) > 1:
            raise ValueError("value, value_file and value_env are exclusive; set exactly one")
        if self.value is not None:
            if not isinstance(self.value, str):
                raise TypeError("value: expected a string")
            # The value goes into HTTP header lines; never quote it in the message.
            if any(ch in self.value for ch in "\0\r\n"):
                raise ValueError("the secret value must not contain NUL, CR or LF")
        if self.value_file is not None:
            c.expect_str(self.value_file, "value_file")
        if self.value_env is not None:
            c.expect_str(self.value_env, "value_env")
        object.__setattr__(self, "allow_hosts", _host_list(self.allow_hosts, "allow_hosts", False))
        object.__setattr__(self, "allow_host_patterns",
                           _host_list(self.allow_host_patterns, "allow_host_patterns", True))
        if not self.allow_hosts and not self.allow_host_patterns:
            raise ValueError("SecretEntry requires at least one allowed host or allowed host pattern")
        placeholder = self.effective_placeholder
        c.expect_str(placeholder, "placeholder")
        if not placeholder:
            raise ValueError("placeholder must not be empty")
        if len(placeholder.encode()) > c.PLACEHOLDER_MAX:
            raise ValueError(f"placeholder must be at most {c.PLACEHOLDER_MAX} bytes, got {len(placeholder.encode())}")
        if "\r" in placeholder or "\n" in placeholder:
            raise ValueError("placeholder must not contain CR or LF")
        c.expect_bool(self.require_tls, "require_tls")
        if self.on_violation is not None:
            object.__setattr__(self, "on_violation", violation(self.on_violation, "on_violation"))
        if self.injection is not None and not isinstance(self.injection, SecretInjection):
            raise TypeError("injection: expected a SecretInjection or None")

    @property
    def effective_placeholder(self) -> str:
        return self.placeholder if self.placeholder is not None else "$MSB_" + self.env_var


class Secret:
    """Factory namespace for SecretEntry values."""

    @staticmethod
    def env(
        env_var: str,
        *,
        value: str | None = None,
        value_file: str | None = None,
        value_env: str | None = None,
        allow_hosts: tuple[str, ...] = (),
        allow_host_patterns: tuple[str, ...] = (),
        placeholder: str | None = None,
        require_tls: bool = True,
        on_violation: ViolationAction | ViolationPolicy | None = None,
        injection: SecretInjection | None = None,
    ) -> SecretEntry:
        return SecretEntry(
            env_var,
            value=value,
            allow_hosts=allow_hosts,
            allow_host_patterns=allow_host_patterns,
            placeholder=placeholder,
            require_tls=require_tls,
            on_violation=on_violation,
            injection=injection,
            value_file=value_file,
            value_env=value_env,
        )

"""Errors raised when an event cannot be encoded, decoded or registered.

Decoding raises only `ContractError` subclasses, so a consumer can dead-letter exactly these.
"""

from __future__ import annotations


class ContractError(Exception):
    """An event does not follow the contracts (base of every error this package raises)."""


class MalformedEvent(ContractError):
    """The envelope or its data is not a well-formed event."""


class MissingAttribute(MalformedEvent):
    """A required CloudEvents attribute is absent."""

    def __init__(self, attribute: str) -> None:
        super().__init__(f"required CloudEvents attribute {attribute!r} is missing")
        self.attribute = attribute


class InvalidAttribute(MalformedEvent):
    """A CloudEvents attribute is present but its value is not acceptable."""

    def __init__(self, attribute: str, problem: str) -> None:
        super().__init__(f"CloudEvents attribute {attribute!r}: {problem}")
        self.attribute = attribute


class UnsupportedSpecVersion(InvalidAttribute):
    """The event claims a CloudEvents version other than 1.0."""

    def __init__(self, specversion: str) -> None:
        super().__init__("specversion", f"unsupported version {specversion!r}, expected '1.0'")


class UnsupportedContentType(InvalidAttribute):
    """The data is not JSON."""

    def __init__(self, content_type: str) -> None:
        super().__init__("datacontenttype", f"{content_type!r} is not application/json")


class InvalidPayload(MalformedEvent):
    """The data is not valid JSON or does not match the schema of its event type and version."""

    def __init__(self, event_type: str, version: int, problem: str) -> None:
        super().__init__(f"{event_type} v{version}: {problem}")
        self.event_type = event_type
        self.version = version


class UnknownEventType(ContractError):
    """No event of this type is registered."""

    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type


class UnknownEventVersion(UnknownEventType):
    """The type is known but this version of it is not (typically newer than this reader)."""

    def __init__(self, event_type: str, version: int) -> None:
        ContractError.__init__(self, f"unknown version {version} of event type {event_type!r}")
        self.event_type = event_type
        self.version = version


class RegistryError(ContractError):
    """The registry itself is inconsistent: a programming error, found at import or in tests."""

"""The registry from (event type, version) to payload model, and the upcasters between versions.

An upcaster is declared next to the event it upgrades and lifts a JSON object from version N to
N+1; reading version N of a type whose current version is M runs the chain N → … → M.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from pydantic import ValidationError

from contracts.errors import (
    InvalidPayload,
    RegistryError,
    UnknownEventType,
    UnknownEventVersion,
)
from contracts.events.base import EventPayload
from contracts.upcasting import JsonObject, Sealer, SealerRequired, Upcaster


def describe_validation_error(error: ValidationError, limit: int = 3) -> str:
    """A one-line summary naming the offending fields, for error messages and dead letters."""
    problems = [
        f"{'.'.join(str(part) for part in issue['loc']) or '<data>'}: {issue['msg']}"
        for issue in error.errors(include_url=False)[:limit]
    ]
    more = error.error_count() - limit
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


class EventRegistry:
    """Every known event model by type and version, with the upcasters between versions.

    Built once from complete lists and checked on construction, so a gap in a version chain is
    found at import time rather than when an old event is read.
    """

    def __init__(
        self, events: Iterable[type[EventPayload]], upcasters: Iterable[Upcaster] = ()
    ) -> None:
        self._models: dict[str, dict[int, type[EventPayload]]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        for model in events:
            self._add_model(model)
        for declared in upcasters:
            self._add_upcaster(declared)
        self._check_chains()

    def _add_model(self, model: type[EventPayload]) -> None:
        event_type = getattr(model, "event_type", None)
        producer = getattr(model, "producer", None)
        if event_type is None or producer is None:
            raise RegistryError(f"{model.__name__} lacks event_type or producer")
        prefix, _, fact = event_type.partition(".")
        if prefix != producer.value or not fact or not fact.replace("_", "").isalpha():
            raise RegistryError(f"{event_type!r} must read '{producer.value}.<fact_in_snake_case>'")
        versions = self._models.setdefault(event_type, {})
        if model.event_version in versions:
            raise RegistryError(f"{event_type} v{model.event_version} is registered twice")
        versions[model.event_version] = model

    def _add_upcaster(self, declared: Upcaster) -> None:
        key = (declared.event_type, declared.from_version)
        if key in self._upcasters:
            raise RegistryError(f"two upcasters for {declared.event_type} v{declared.from_version}")
        if declared.from_version + 1 not in self._models.get(declared.event_type, {}):
            raise RegistryError(
                f"upcaster {declared.event_type} v{declared.from_version} leads to an "
                "unregistered version"
            )
        self._upcasters[key] = declared

    def _check_chains(self) -> None:
        for event_type, versions in self._models.items():
            current = max(versions)
            for version in range(1, current + 1):
                if version not in versions:
                    raise RegistryError(f"{event_type} v{version} is missing (versions are 1..N)")
            for version in range(1, current):
                if (event_type, version) not in self._upcasters:
                    raise RegistryError(f"{event_type} has no upcaster from v{version}")

    def event_types(self) -> tuple[str, ...]:
        """Every registered type, in registration order (the lifecycle order of the catalog)."""
        return tuple(self._models)

    def versions(self, event_type: str) -> tuple[int, ...]:
        """The registered versions of a type, oldest first."""
        return tuple(sorted(self._versions_of(event_type)))

    def current_version(self, event_type: str) -> int:
        """The version producers write today."""
        return max(self._versions_of(event_type))

    def model(self, event_type: str, version: int | None = None) -> type[EventPayload]:
        """The model of one version of a type (the current one unless `version` is given)."""
        versions = self._versions_of(event_type)
        wanted = max(versions) if version is None else version
        if wanted not in versions:
            raise UnknownEventVersion(event_type, wanted)
        return versions[wanted]

    def all_models(self) -> Iterator[type[EventPayload]]:
        """Every model of every version, grouped by type, oldest version first."""
        for event_type in self._models:
            for version in self.versions(event_type):
                yield self._models[event_type][version]

    def current_models(self) -> Iterator[type[EventPayload]]:
        """The current model of every type."""
        for event_type in self._models:
            yield self.model(event_type)

    def load(
        self, event_type: str, version: int, data: str | bytes, sealer: Sealer | None = None
    ) -> EventPayload:
        """Validate JSON data written as `version` of `event_type`, upcast to the current version.

        Readers ignore fields they do not know, so an optional field added later never breaks
        them; everything else (types, enums, formats) is validated strictly, as the JSON Schema.
        """
        model = self.model(event_type, version)
        payload = self._validate(model, data)
        current = self.current_version(event_type)
        if version == current:
            return payload
        lifted: JsonObject = payload.model_dump(mode="json")
        for step in range(version, current):
            try:
                lifted = self._upcasters[(event_type, step)].apply(lifted, sealer)
            except SealerRequired as error:
                raise InvalidPayload(event_type, version, str(error)) from error
            except (KeyError, TypeError, ValueError) as error:
                raise InvalidPayload(
                    event_type, version, f"upcast from v{step}: {error!r}"
                ) from error
        return self._validate(self.model(event_type), json.dumps(lifted))

    def _validate(self, model: type[EventPayload], data: str | bytes) -> EventPayload:
        try:
            return model.model_validate_json(data, strict=True, extra="ignore")
        except ValidationError as error:
            raise InvalidPayload(
                model.event_type, model.event_version, describe_validation_error(error)
            ) from error

    def _versions_of(self, event_type: str) -> dict[int, type[EventPayload]]:
        try:
            return self._models[event_type]
        except KeyError:
            raise UnknownEventType(event_type) from None

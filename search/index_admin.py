"""Index lifecycle operations: create, resolve aliases, swap atomically, drop."""

from __future__ import annotations

from dataclasses import dataclass

from opensearchpy import NotFoundError, OpenSearch

from search.indexes import IndexDefinition


@dataclass(frozen=True)
class AliasState:
    read: list[str]
    write: list[str]
    all_indices: list[str]

    @property
    def live(self) -> str | None:
        return self.read[0] if self.read else None


def alias_state(client: OpenSearch, definition: IndexDefinition) -> AliasState:
    """Which concrete indices the read and write aliases point at, and which exist at all."""
    try:
        indices = client.indices.get(index=f"{definition.prefix}-*")
    except NotFoundError:
        indices = {}
    read: list[str] = []
    write: list[str] = []
    own = sorted(name for name in indices if definition.is_own_index(name))
    for name in own:
        aliases = indices[name].get("aliases", {})
        if definition.read_alias in aliases:
            read.append(name)
        if definition.write_alias in aliases:
            write.append(name)
    return AliasState(read=read, write=write, all_indices=own)


def index_fingerprint(client: OpenSearch, name: str) -> str | None:
    """The definition fingerprint an index was created with (None: created without one)."""
    mappings = client.indices.get_mapping(index=name).get(name, {}).get("mappings", {})
    fingerprint = mappings.get("_meta", {}).get("definition")
    return fingerprint if isinstance(fingerprint, str) else None


def fields_refused(client: OpenSearch, name: str, definition: IndexDefinition) -> list[str]:
    """Fields of `definition` that index `name` would refuse: missing from its strict
    mapping, or mapped with another type. Empty when it takes this code's documents
    (its analysis may still differ: that changes how it matches, not what it accepts)."""
    mapped = client.indices.get_mapping(index=name).get(name, {}).get("mappings", {}).get("properties", {})
    return sorted(
        field
        for field, spec in definition.mapping["properties"].items()
        if field not in mapped or mapped[field].get("type", "object") != spec.get("type", "object")
    )


def write_targets(client: OpenSearch, definition: IndexDefinition) -> list[str]:
    """Concrete indices behind the write alias: one normally, two while a rebuild runs."""
    try:
        return sorted(client.indices.get_alias(name=definition.write_alias))
    except NotFoundError:
        return []


def index_create(client: OpenSearch, definition: IndexDefinition, name: str) -> None:
    client.indices.create(index=name, body=definition.body())


def aliases_update(client: OpenSearch, actions: list[dict]) -> None:
    """Apply alias actions in ONE request, so readers never see a gap."""
    if actions:
        client.indices.update_aliases(body={"actions": actions})


def index_drop(client: OpenSearch, name: str) -> None:
    try:
        client.indices.delete(index=name)
    except NotFoundError:
        pass

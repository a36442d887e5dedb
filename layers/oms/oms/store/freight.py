"""Freight templates: the template items (`STORE#<sid>/FREIGHT#<tid>`) and their copy in the store
directory (`STORES/DIRECTORY`, map `freight`, entry per store), written together in one transaction.

Checkout reads the directory already (one consistent BatchGetItem): the copy is what lets it price
shipping by template without another read. Each store's entry is a "book" with its own version `v`;
a write replaces the store's book on the condition that `v` is what was read, so writes of different
stores never conflict and two writes of one store cannot lose each other. The book is capped
(`MAX_BOOK_BYTES`, `MAX_TEMPLATES_PER_STORE`) so the directory stays far below DynamoDB's 400 KB item
limit (docs/data-model.md, rows 200-209).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist

from oms.domain.errors import Conflict, InvalidRequest
from oms.domain.freight import MAX_TEMPLATES_PER_STORE, FreightTemplate
from oms.domain.permissions import Actor
from oms.store import keys
from oms.store.audit import add_audit
from oms.store.models import FreightTemplateItem, Item, StoreDirectoryItem, StoreItem
from oms.store.transactions import Part, Transaction, TransactionCancelled

MAX_BOOK_BYTES = 8_000  # one store's templates in the directory, as compact JSON


class BookChanged(Conflict):
    """Another write of the store's templates committed between our read and our write: read again."""


class FreightTemplatesTooLarge(InvalidRequest):
    slug = "freight-templates-too-large"
    title = "The store's freight templates exceed their size limit"


@dataclass(frozen=True)
class FreightBook:
    """One store's entry of the directory's `freight` map."""

    version: int  # 0: the store has none yet
    default: str | None
    templates: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"v": self.version, "default": self.default, "t": self.templates}

    @classmethod
    def of(cls, data: Any) -> FreightBook:
        if not isinstance(data, dict):
            return cls(0, None, {})
        templates = data.get("t") or {}
        default = data.get("default")
        return cls(int(data.get("v") or 0), str(default) if default else None, dict(templates))

    def domain(self) -> Mapping[str, FreightTemplate]:
        """The templates as the engine needs them, each parsed on first use: checkout reads every store's
        book with the directory but prices only the cart's stores, and of those only the templates named."""
        return _Parsed(self.templates)


class _Parsed(Mapping[str, FreightTemplate]):
    def __init__(self, raw: dict[str, dict[str, Any]]) -> None:
        self._raw = raw
        self._done: dict[str, FreightTemplate] = {}

    def __getitem__(self, template_id: str) -> FreightTemplate:
        if template_id not in self._done:
            self._done[template_id] = FreightTemplate.from_dict(template_id, self._raw[template_id])
        return self._done[template_id]

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


@dataclass(frozen=True)
class FreightTemplateRecord:
    store_id: str
    template: FreightTemplate
    updated_at: str
    is_default: bool


def books_from_directory(item: StoreDirectoryItem | None) -> dict[str, FreightBook]:
    if item is None or item.freight is None:
        return {}
    return {store_id: FreightBook.of(data) for store_id, data in item.freight.as_dict().items()}


def _open_freight_map() -> None:
    """Give the directory its `freight` map once (if absent), so stores can set their own entries."""
    StoreDirectoryItem(*keys.STORE_DIRECTORY).update(
        [
            StoreDirectoryItem.freight.set(StoreDirectoryItem.freight | {}),
            StoreDirectoryItem.type.set(StoreDirectoryItem),
        ]
    )


class FreightRepository:
    def store_and_book(self, store_id: str) -> tuple[StoreItem | None, FreightBook, bool]:
        """The store, its book and whether the directory has its `freight` map: one consistent read."""
        found = {
            (i.PK, i.SK): i for i in Item.batch_get([keys.store(store_id), keys.STORE_DIRECTORY], consistent_read=True)
        }
        store = found.get(keys.store(store_id))
        directory = found.get(keys.STORE_DIRECTORY)
        assert store is None or isinstance(store, StoreItem)
        assert directory is None or isinstance(directory, StoreDirectoryItem)
        book = books_from_directory(directory).get(store_id, FreightBook(0, None, {}))
        return store, book, directory is not None and directory.freight is not None

    def templates(self, store_id: str) -> tuple[list[FreightTemplateRecord], str | None]:
        """The store's templates (at most MAX_TEMPLATES_PER_STORE: one Query) and its default's id."""
        _, book, _ = self.store_and_book(store_id)
        items = FreightTemplateItem.query(
            keys.store(store_id)[0], FreightTemplateItem.SK.startswith(keys.FREIGHT_PREFIX), consistent_read=True
        )
        records = [self._record(i, book) for i in items if isinstance(i, FreightTemplateItem)]
        return records, book.default

    def template(self, store_id: str, template_id: str) -> FreightTemplateRecord | None:
        found = {
            (i.PK, i.SK): i
            for i in Item.batch_get([keys.freight_template(store_id, template_id), keys.STORE_DIRECTORY])
        }
        item = found.get(keys.freight_template(store_id, template_id))
        directory = found.get(keys.STORE_DIRECTORY)
        if not isinstance(item, FreightTemplateItem):
            return None
        book = books_from_directory(directory if isinstance(directory, StoreDirectoryItem) else None)
        return self._record(item, book.get(store_id, FreightBook(0, None, {})))

    @staticmethod
    def _record(item: FreightTemplateItem, book: FreightBook) -> FreightTemplateRecord:
        template = FreightTemplate.from_dict(item.templateId, {**item.body, "version": int(item.version)})
        return FreightTemplateRecord(item.storeId, template, item.updatedAt, book.default == item.templateId)

    @staticmethod
    def current_version(store_id: str, template_id: str) -> int | None:
        try:
            return int(
                FreightTemplateItem.get(*keys.freight_template(store_id, template_id), consistent_read=True).version
            )
        except DoesNotExist:
            return None

    def write(
        self,
        store_id: str,
        book: FreightBook,
        *,
        map_open: bool,
        put: FreightTemplate | None,
        delete: str | None,
        previous_version: int | None,
        make_default: bool | None,
        actor: Actor,
        now: str,
    ) -> FreightBook:
        """Put (`put`, replacing `previous_version`, or new when None) or delete (`delete`, at
        `previous_version`) one template and the store's book with it, audited, in one transaction.
        `make_default`: True makes it the store's default, False stops it being the default, None leaves
        the default alone. Conflict when the template or the store's book changed meanwhile."""
        templates = dict(book.templates)
        default = book.default
        template_id = put.template_id if put is not None else delete
        assert template_id is not None
        if put is not None:
            templates[template_id] = put.to_dict()
        else:
            templates.pop(template_id, None)
        if make_default is True:
            default = template_id
        elif (make_default is False or delete is not None) and default == template_id:
            default = None
        if len(templates) > MAX_TEMPLATES_PER_STORE:
            raise FreightTemplatesTooLarge(
                f"a store has at most {MAX_TEMPLATES_PER_STORE} freight templates", field="templateId"
            )
        new = FreightBook(book.version + 1, default, templates)
        size = len(json.dumps(new.to_dict(), ensure_ascii=False, separators=(",", ":")).encode())
        if size > MAX_BOOK_BYTES:
            raise FreightTemplatesTooLarge(
                f"the store's freight templates take {size} bytes, at most {MAX_BOOK_BYTES}",
                field="rules",
                bytes=size,
                limit=MAX_BOOK_BYTES,
            )
        if not map_open:
            _open_freight_map()
        key = keys.freight_template(store_id, template_id)
        tx = Transaction()
        tx.check(Part.STORE, StoreItem(*keys.store(store_id)), StoreItem.PK.exists())
        if put is not None:
            item = FreightTemplateItem(
                *key,
                storeId=store_id,
                templateId=template_id,
                body=put.to_dict(),
                version=put.version,
                updatedAt=now,
            )
            condition = (
                FreightTemplateItem.PK.does_not_exist()
                if previous_version is None
                else FreightTemplateItem.version == previous_version
            )
            tx.put(Part.TEMPLATE, item, condition)
        else:
            tx.delete(Part.TEMPLATE, FreightTemplateItem(*key), FreightTemplateItem.version == previous_version)
        entry = StoreDirectoryItem.freight[store_id]
        tx.update(
            Part.DIRECTORY,
            StoreDirectoryItem(*keys.STORE_DIRECTORY),
            [entry.set(new.to_dict())],
            entry.does_not_exist() if book.version == 0 else entry["v"] == book.version,
        )
        add_audit(
            tx,
            f"STORE#{store_id}",
            "freight-template.put" if put is not None else "freight-template.delete",
            actor=actor,
            now=now,
            before=None if previous_version is None else {"templateId": template_id, "version": previous_version},
            after={"templateId": template_id, "default": default, **(put.to_dict() if put is not None else {})},
            reason=None,
        )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.DIRECTORY) and not cancelled.failed(Part.TEMPLATE, Part.STORE):
                raise BookChanged("the store's freight templates changed concurrently; read and retry") from cancelled
            raise Conflict("the freight template was changed concurrently; read it and retry") from cancelled
        return new

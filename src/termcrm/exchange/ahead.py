"""Checking the next rows' phones and emails in another process while this one writes.

Normalising phone numbers and email addresses is the costliest part of an
import and needs nothing from the database, so for a big file a worker
process (the machine's second core) works them out one chunk ahead; the
importer then finds them already done (``validation.known_values``). Small
files are not worth starting a process for. The results are the very ones
this process would compute: the same functions, the same language.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from termcrm.exchange import values as V
from termcrm.exchange.mapping import ColumnMapping
from termcrm.services.validation import Known, work_out

if TYPE_CHECKING:
    from termcrm.exchange.sources import SourceRow

WORTH_IT = 5_000  # rows: below this a worker process costs more than it saves


def _start(lang: str, tz: str) -> None:
    from termcrm import i18n

    i18n.use(lang, tz)


class Ahead:
    """Yields each chunk with its phones and emails already normalised."""

    def __init__(self, mapping: ColumnMapping, region: str, rows: int | None) -> None:
        targets = mapping.targets()
        self._phones = targets.get("phones", [])
        self._emails = targets.get("emails", [])
        self._region = region
        self._pool: ProcessPoolExecutor | None = None
        # rows: the file's size (None: unknown, so worth it); 0 turns the worker off
        if (self._phones or self._emails) and (rows is None or rows >= WORTH_IT):
            import multiprocessing

            from termcrm import i18n

            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(i18n.current(), str(i18n.zone())),
            )

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _values(self, chunk: list[SourceRow]) -> tuple[list[str], list[str]]:
        phones: list[str] = []
        emails: list[str] = []
        for row in chunk:
            cells = row.values
            n = len(cells)
            if self._phones:
                phones += V.phones([cells[i] for i in self._phones if i < n and cells[i]])
            if self._emails:
                emails += V.emails([cells[i] for i in self._emails if i < n and cells[i]])
        return phones, emails

    def _submit(self, chunk: list[SourceRow]) -> Future[Known]:
        assert self._pool is not None
        phones, emails = self._values(chunk)
        return self._pool.submit(work_out, phones, emails, self._region)

    def chunks(self, chunks: Iterator[list[SourceRow]]) -> Iterator[tuple[list[SourceRow], Any]]:
        if self._pool is None:
            for chunk in chunks:
                yield chunk, {}
            return
        current = next(chunks, None)
        if current is None:
            return
        pending = self._submit(current)
        for following in chunks:
            after = self._submit(following)
            yield current, pending.result()
            current, pending = following, after
        yield current, pending.result()

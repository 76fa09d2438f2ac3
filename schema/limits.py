"""Query limits: every document is measured before any resolver runs, and one that
is too deep, too wide, too long or too costly is refused with QUERY_TOO_COMPLEX.

The limits depend on the caller (editors get more room than the public), so they
are checked by this extension, not by validation rules: strawberry's validation
cache stays valid, because validation itself is the same for everyone. Measuring
follows fragment spreads (an alias inside a fragment counts every time the
fragment is spread) and survives circular fragments (validation refuses those).

Cost: each field costs 1; a field with a `first` argument multiplies the cost of
what it selects by `first` (its default when not given), so nested lists of 100
cannot multiply unseen.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import GraphQLError
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    Lexer,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from cms.pagination import MAX_PAGE_SIZE

DEFAULT_FIRST = 20


@dataclass(frozen=True, slots=True)
class Limits:
    depth: int
    aliases: int
    tokens: int
    directives: int
    characters: int
    cost: int


PUBLIC_LIMITS = Limits(
    depth=8, aliases=15, tokens=1000, directives=50, characters=15_000, cost=5000
)
EDITOR_LIMITS = Limits(
    depth=12, aliases=15, tokens=5000, directives=50, characters=100_000, cost=20_000
)


def too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX"})


@lru_cache(maxsize=1024)
def token_count(query: str, ceiling: int) -> int:
    """Tokens in the document, counted up to `ceiling + 1` (enough to refuse)."""
    lexer = Lexer(Source(query))
    count = 0
    try:
        while count <= ceiling:
            token = lexer.advance()
            if token.kind == TokenKind.EOF:
                break
            count += 1
    except GraphQLError:
        return count  # the parser will report the syntax error
    return count


@dataclass
class Measures:
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    cost: int = 0


class _Walk:
    def __init__(self, document: DocumentNode, variables: Mapping[str, Any], cost_ceiling: int):
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = variables
        self.ceiling = cost_ceiling
        self.measures = Measures()

    def selections(self, node: SelectionSetNode | None, depth: int, seen: frozenset[str]) -> int:
        """Walks a selection set; returns its cost (capped once past the ceiling)."""
        if node is None:
            return 0
        cost = 0
        for selection in node.selections:
            self.measures.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    self.measures.aliases += 1
                self.measures.depth = max(self.measures.depth, depth + 1)
                inner = self.selections(selection.selection_set, depth + 1, seen)
                cost += 1 + self._multiplier(selection, depth) * inner
            elif isinstance(selection, InlineFragmentNode):
                cost += self.selections(selection.selection_set, depth, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue  # unknown or circular: validation reports it
                cost += self.selections(fragment.selection_set, depth, seen | {name})
            if cost > self.ceiling:
                return cost
        return cost

    def _multiplier(self, field: FieldNode, depth: int) -> int:
        for argument in field.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            # capped at the largest page: a bigger `first` is refused by the field
            # itself, with BAD_USER_INPUT, which says more than "too complex"
            if isinstance(value, IntValueNode):
                return min(max(int(value.value), 1), MAX_PAGE_SIZE)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int):
                    return min(max(given, 1), MAX_PAGE_SIZE)
                return DEFAULT_FIRST
        name = field.name.value
        paged = name in _PAGED_FIELDS or (depth == 0 and name in _PAGED_ROOT_FIELDS)
        return DEFAULT_FIRST if paged else 1


# Fields that take `first` with a default, so that left out they still return a
# page: these names are paged wherever they appear...
_PAGED_FIELDS = frozenset({"articles", "feed", "videos", "users", "mediaAssets", "feedChanges"})
# ...and these only on Query (Article.authors is a plain list)
_PAGED_ROOT_FIELDS = frozenset({"authors"})


def measure(
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any], ceiling: int
) -> Measures:
    walk = _Walk(document, variables, ceiling)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None
            or (definition.name is not None and definition.name.value == operation_name)
        ):
            walk.measures.directives += len(definition.directives or ())
            walk.measures.cost += walk.selections(definition.selection_set, 0, frozenset())
    for fragment in walk.fragments.values():
        walk.measures.directives += len(fragment.directives or ())
    return walk.measures


def check(
    query: str,
    document: DocumentNode | None,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: Limits,
) -> GraphQLError | None:
    if len(query) > limits.characters:
        return too_complex(f"the document is longer than {limits.characters} characters")
    if token_count(query, limits.tokens) > limits.tokens:
        return too_complex(f"the document has more than {limits.tokens} tokens")
    if document is None:
        return None
    found = measure(document, operation_name, variables or {}, limits.cost)
    if found.depth > limits.depth:
        return too_complex(f"the query is nested deeper than {limits.depth} levels")
    if found.aliases > limits.aliases:
        return too_complex(f"the query has more than {limits.aliases} aliases")
    if found.directives > limits.directives:
        return too_complex(f"the query has more than {limits.directives} directives")
    if found.cost > limits.cost:
        return too_complex(f"the query costs more than {limits.cost} (lists multiply)")
    return None


class QueryLimits(SchemaExtension):
    """Refuses documents over the caller's limits, before parsing (size, tokens) and
    after validation (depth, aliases, directives, cost)."""

    def _limits(self) -> Limits:
        context = self.execution_context.context
        actor = getattr(context, "actor", None)
        return PUBLIC_LIMITS if actor is None or actor.is_public else EDITOR_LIMITS

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query or ""
        limits = self._limits()
        if len(query) > limits.characters or token_count(query, limits.tokens) > limits.tokens:
            raise check(query, None, None, None, limits)  # type: ignore[misc]
        yield

    def on_validate(self) -> Iterator[None]:
        # Listed after ValidationCache, this runs once validation is known: a
        # document already refused (circular fragments included) is not measured,
        # and an error set here stops execution before any resolver.
        context = self.execution_context
        if context.pre_execution_errors or context.graphql_document is None:
            yield
            return
        error = check(
            context.query or "",
            context.graphql_document,
            context.operation_name,
            context.variables,
            self._limits(),
        )
        if error is not None:
            context.pre_execution_errors = [error]
        yield

"""ASP.NET Core route templates, as the Functions host uses them for HTTP triggers.

The host registers one ASP.NET route per HTTP-triggered function (``routePrefix/route``), so a
Python app's ``@app.route(route=...)`` is an ASP.NET template. This module parses and matches those
templates without the route prefix: ``RouteTemplate("orders/{id:int}").match("orders/7")``.

Supported syntax: literal segments (matched case-insensitively), ``{name}``, ``{name?}``,
``{name=default}``, inline constraints (``{id:int}``, ``{id:int?}``, ``{n:min(1):max(9)}``,
``{s:regex(^a.+$)}``, see ``route_constraints``), catch-alls ``{*rest}`` / ``{**rest}``,
complex segments such as ``{name}.{ext}`` or ``{name}.{ext?}``, and ``{{`` / ``}}`` for literal
braces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Generic, TypeVar
from urllib.parse import unquote

from devhost.route_constraints import CONSTRAINTS, Check

__all__ = [
    "MethodNotAllowed",
    "RouteError",
    "RouteNotFound",
    "RouteTable",
    "RouteTemplate",
]

T = TypeVar("T")


class RouteError(ValueError):
    """A route template is not valid ASP.NET Core route syntax (the host would refuse it too)."""

    def __init__(self, template: str, problem: str) -> None:
        super().__init__(f"invalid route template {template!r}: {problem}")
        self.template = template
        self.problem = problem


class RouteNotFound(LookupError):
    """No registered route accepts this method and path; the host answers 404."""


class MethodNotAllowed(RouteNotFound):
    """The path matches at least one route, but none of them accepts the method.

    The Functions host does *not* answer 405 here: it registers the trigger's methods as an
    ``HttpMethodRouteConstraint`` on the ASP.NET route, so a wrong method is simply a route that
    does not match, and the request falls through to the next route or ends in 404
    (Azure/azure-functions-host#10098 "Function app should return 405 for request on known route
    but unsupported HTTP method" -- open, the platform answers 404; #11625 shows HEAD on a GET-only
    trigger answering 404 as well). This is a subclass of ``RouteNotFound`` so a server that maps
    ``RouteNotFound`` to 404 mimics Azure, while ``allowed`` stays available for diagnostics.
    """

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(f"method not allowed; allowed: {', '.join(allowed)}")
        self.allowed = allowed


# --- constraints -----------------------------------------------------------------------------

# --- template model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Constraint:
    text: str
    check: Check


@dataclass(frozen=True)
class _Param:
    name: str
    optional: bool
    default: str | None
    catch_all: bool
    constraints: tuple[_Constraint, ...]

    def accepts(self, value: str) -> bool:
        return all(c.check(value) for c in self.constraints)


_Part = str | _Param


@dataclass(frozen=True)
class _Segment:
    parts: tuple[_Part, ...]
    # Complex segments only: the regexes to try in order, and the parameters each captures.
    patterns: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()

    @property
    def single_param(self) -> _Param | None:
        part = self.parts[0]
        return part if len(self.parts) == 1 and isinstance(part, _Param) else None

    @property
    def omittable(self) -> bool:
        p = self.single_param
        return p is not None and (p.optional or p.default is not None or p.catch_all)

    @property
    def precedence_digit(self) -> int:
        # RoutePrecedence.ComputeInbound in ASP.NET Core: 1 literal, 2 complex or constrained
        # parameter, 3 parameter, 4 constrained catch-all, 5 catch-all.
        if len(self.parts) > 1:
            return 2
        part = self.parts[0]
        if isinstance(part, str):
            return 1
        digit = 5 if part.catch_all else 3
        return digit - 1 if part.constraints else digit


class _Parser:
    def __init__(self, template: str) -> None:
        self.template = template

    def fail(self, problem: str) -> RouteError:
        return RouteError(self.template, problem)

    def parse(self) -> tuple[_Segment, ...]:
        text = self.template
        if text.startswith("~/"):
            text = text[2:]
        elif text.startswith("/"):
            text = text[1:]
        raw_segments: list[list[_Part]] = []
        parts: list[_Part] = []
        literal: list[str] = []
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "/":
                if literal:
                    parts.append("".join(literal))
                    literal = []
                if not parts:
                    raise self.fail("the separator '/' cannot appear consecutively")
                raw_segments.append(parts)
                parts = []
                i += 1
            elif ch == "{" and text.startswith("{{", i):
                literal.append("{")
                i += 2
            elif ch == "{":
                body, i = self._read_parameter(text, i + 1)
                if literal:
                    parts.append("".join(literal))
                    literal = []
                parts.append(self._parameter(body))
            elif ch == "}" and text.startswith("}}", i):
                literal.append("}")
                i += 2
            elif ch == "}":
                raise self.fail("unmatched '}' (write '}}' for a literal brace)")
            elif ch == "?":
                raise self.fail("literal sections cannot contain '?'")
            else:
                literal.append(ch)
                i += 1
        if literal:
            parts.append("".join(literal))
        if parts:
            raw_segments.append(parts)
        segments = tuple(self._segment(p) for p in raw_segments)
        self._validate(segments)
        return segments

    def _read_parameter(self, text: str, start: int) -> tuple[str, int]:
        body: list[str] = []
        j = start
        while j < len(text):
            ch = text[j]
            if ch in "{}" and text.startswith(ch * 2, j):
                body.append(ch)
                j += 2
            elif ch == "}":
                return "".join(body), j + 1
            elif ch == "{":
                raise self.fail("unescaped '{' inside a parameter")
            else:
                body.append(ch)
                j += 1
        raise self.fail("a parameter is missing its closing '}'")

    def _parameter(self, body: str) -> _Param:
        catch_all = body.startswith("*")
        rest = body.lstrip("*") if catch_all else body
        if catch_all and len(body) - len(rest) > 2:
            raise self.fail(f"invalid catch-all parameter {{{body}}}")
        name = re.match(r"[^:=?]*", rest)
        assert name is not None
        param_name = name.group(0)
        if not param_name or any(c in param_name for c in "/{}*"):
            raise self.fail(f"invalid parameter name in {{{body}}}")
        rest = rest[len(param_name) :]
        constraints: list[_Constraint] = []
        while rest.startswith(":"):
            constraint, rest = self._constraint(rest[1:], body)
            constraints.append(constraint)
        optional, default = False, None
        if rest == "?":
            optional = True
        elif rest.startswith("="):
            default = rest[1:]
            if default.endswith("?"):
                raise self.fail(f"optional parameter {param_name!r} cannot have a default value")
        elif rest:
            raise self.fail(f"invalid parameter {{{body}}}")
        if catch_all and optional:
            raise self.fail(f"catch-all parameter {param_name!r} cannot be marked optional")
        return _Param(param_name, optional, default, catch_all, tuple(constraints))

    def _constraint(self, rest: str, body: str) -> tuple[_Constraint, str]:
        name_match = re.match(r"[A-Za-z0-9_]*", rest)
        assert name_match is not None
        name = name_match.group(0)
        rest = rest[len(name) :]
        arg: str | None = None
        if rest.startswith("("):
            end = self._argument_end(rest)
            arg, rest = rest[1:end], rest[end + 1 :]
        factory = CONSTRAINTS.get(name.lower())
        if factory is None:
            raise self.fail(f"unknown constraint {name!r} in {{{body}}}")
        try:
            check = factory(name, arg)
        except ValueError as exc:
            raise self.fail(str(exc)) from None
        text = name if arg is None else f"{name}({arg})"
        return _Constraint(text, check), rest

    def _argument_end(self, rest: str) -> int:
        # A regex argument may itself contain ')' ':' '=' or '?': the argument ends at the first
        # ')' that is followed by the end, another constraint, a default, or a final '?'.
        for k, ch in enumerate(rest):
            if ch != ")":
                continue
            after = rest[k + 1 :]
            if after == "" or after == "?" or after[0] in ":=":
                return k
        raise self.fail("a constraint argument is missing its closing ')'")

    def _segment(self, parts: list[_Part]) -> _Segment:
        if len(parts) == 1:
            return _Segment(tuple(parts))
        for prev, part in pairwise(parts):
            if isinstance(prev, _Param) and isinstance(part, _Param):
                raise self.fail("a path segment cannot contain two consecutive parameters")
        for k, part in enumerate(parts):
            if not isinstance(part, _Param):
                continue
            if part.catch_all:
                raise self.fail("a catch-all parameter must be a whole segment")
            if part.optional and (k != len(parts) - 1 or parts[k - 1] != "."):
                raise self.fail(
                    f"optional parameter {part.name!r} in a complex segment must be last and "
                    "preceded by '.'"
                )
        patterns = [_complex_pattern(parts)]
        last = parts[-1]
        if isinstance(last, _Param) and last.optional:
            patterns.append(_complex_pattern(parts[:-2]))
        return _Segment(tuple(parts), tuple(patterns))

    def _validate(self, segments: tuple[_Segment, ...]) -> None:
        seen: set[str] = set()
        for index, segment in enumerate(segments):
            for part in segment.parts:
                if not isinstance(part, _Param):
                    continue
                key = part.name.lower()
                if key in seen:
                    raise self.fail(f"parameter {part.name!r} appears more than once")
                seen.add(key)
                if part.catch_all and index != len(segments) - 1:
                    raise self.fail("a catch-all parameter must be the last segment")


def _complex_pattern(parts: list[_Part]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    # Greedy groups reproduce ASP.NET's right-to-left LastIndexOf matching of complex segments:
    # "{name}.{ext}" on "a.b.c" gives name="a.b", ext="c".
    regex = "".join("(.+)" if isinstance(p, _Param) else re.escape(p) for p in parts)
    names = tuple(p.name for p in parts if isinstance(p, _Param))
    return re.compile(regex, re.IGNORECASE | re.DOTALL), names


class RouteTemplate:
    """One parsed route template; ``match`` returns the route values or ``None``."""

    def __init__(self, template: str) -> None:
        self._template = template
        self._segments = _Parser(template).parse()
        self._params = tuple(p for s in self._segments for p in s.parts if isinstance(p, _Param))

    @property
    def template(self) -> str:
        return self._template

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self._params)

    @property
    def precedence(self) -> tuple[int, ...]:
        """ASP.NET inbound precedence digits per segment; lower sorts (and wins) first."""
        return tuple(s.precedence_digit for s in self._segments)

    def __repr__(self) -> str:
        return f"RouteTemplate({self._template!r})"

    def match(self, path: str) -> dict[str, str] | None:
        """Match ``path`` (no leading slash, no route prefix); values are percent-decoded."""
        trailing_slash = path.endswith("/")
        trimmed = path[:-1] if trailing_slash else path
        raw = trimmed.split("/") if trimmed else []
        values: dict[str, str] = {}
        for index, segment in enumerate(self._segments):
            single = segment.single_param
            if single is not None and single.catch_all:
                rest = "/".join(raw[index:])
                if rest:
                    values[single.name] = unquote(rest + ("/" if trailing_slash else ""))
                elif single.default is not None:
                    values[single.name] = single.default
                return values if self._constraints_hold(values) else None
            if index >= len(raw):
                if single is None or not segment.omittable:
                    return None
                if single.default is not None:
                    values[single.name] = single.default
                continue
            if not _match_segment(segment, unquote(raw[index]), values):
                return None
        if len(raw) > len(self._segments):
            return None
        return values if self._constraints_hold(values) else None

    def _constraints_hold(self, values: dict[str, str]) -> bool:
        return all(p.accepts(values[p.name]) for p in self._params if p.name in values)


def _match_segment(segment: _Segment, value: str, values: dict[str, str]) -> bool:
    part = segment.parts[0]
    if len(segment.parts) == 1:
        if isinstance(part, str):
            return value.lower() == part.lower()
        if value == "":
            return False
        values[part.name] = value
        return True
    for pattern, names in segment.patterns:
        found = pattern.fullmatch(value)
        if found is not None:
            values.update(zip(names, found.groups(), strict=True))
            return True
    return False


# --- route table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Route(Generic[T]):
    template: RouteTemplate
    methods: frozenset[str] | None
    target: T


class RouteTable(Generic[T]):
    """Function routes ordered like ASP.NET: by template precedence, then registration order.

    Precedence compares segments left to right: literal, then complex or constrained parameter,
    then parameter, then constrained catch-all, then catch-all. Note that the real host does not
    do this (Azure/azure-functions-host#9876: it tries routes in function-name order), so an app
    that relies on ``items/recent`` beating ``items/{id}`` works here and may not in Azure.
    Methods take part in matching (see ``MethodNotAllowed``): a route whose template matches but
    whose methods do not is skipped, and a later route may still answer.
    """

    def __init__(self) -> None:
        self._routes: list[_Route[T]] = []

    def add(self, template: str | RouteTemplate, methods: Iterable[str] | None, target: T) -> None:
        """Register ``target``; ``methods=None`` accepts every method, an empty list none."""
        parsed = template if isinstance(template, RouteTemplate) else RouteTemplate(template)
        allowed = None if methods is None else frozenset(m.upper() for m in methods)
        route = _Route(parsed, allowed, target)
        # Stable: equal precedence keeps registration order.
        position = len(self._routes)
        while position > 0 and self._routes[position - 1].template.precedence > parsed.precedence:
            position -= 1
        self._routes.insert(position, route)

    def __len__(self) -> int:
        return len(self._routes)

    def resolve(self, method: str, path: str) -> tuple[T, dict[str, str]]:
        """The target and route values for a request, or ``RouteNotFound`` (answer 404)."""
        wanted = method.upper()
        allowed: set[str] = set()
        path_matched = False
        for route in self._routes:
            values = route.template.match(path)
            if values is None:
                continue
            if route.methods is None or wanted in route.methods:
                return route.target, values
            path_matched = True
            allowed |= route.methods
        if path_matched:
            raise MethodNotAllowed(sorted(allowed))
        raise RouteNotFound(f"no route matches {path!r}")

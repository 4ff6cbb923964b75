"""ASP.NET Core route templates and the route table, as HTTP triggers use them."""

from __future__ import annotations

import pytest

from devhost.routes import (
    MethodNotAllowed,
    RouteError,
    RouteNotFound,
    RouteTable,
    RouteTemplate,
)


def match(template: str, path: str) -> dict[str, str] | None:
    return RouteTemplate(template).match(path)


class TestLiteralsAndParameters:
    def test_literal_matches_case_insensitively(self) -> None:
        assert match("Orders/Recent", "orders/RECENT") == {}

    def test_literal_mismatch_and_extra_segments_do_not_match(self) -> None:
        assert match("orders", "order") is None
        assert match("orders", "orders/1") is None
        assert match("orders/{id}", "orders") is None

    def test_parameter_captures_segment(self) -> None:
        assert match("orders/{id}/items/{item}", "orders/42/items/x") == {"id": "42", "item": "x"}

    def test_values_are_percent_decoded(self) -> None:
        assert match("users/{name}", "users/J%C3%BCrgen%20X") == {"name": "Jürgen X"}
        assert match("users/{name}", "users/a%2Fb") == {"name": "a/b"}

    def test_plus_is_not_a_space_in_a_path(self) -> None:
        assert match("q/{term}", "q/a+b") == {"term": "a+b"}

    def test_trailing_slash_in_path_is_tolerated(self) -> None:
        assert match("orders/{id}", "orders/7/") == {"id": "7"}

    def test_leading_slash_in_template_is_ignored(self) -> None:
        assert match("/orders", "orders") == {}
        assert match("~/orders", "orders") == {}

    def test_empty_template_matches_only_the_root(self) -> None:
        assert match("", "") == {}
        assert match("", "x") is None

    def test_empty_segment_does_not_satisfy_a_parameter(self) -> None:
        assert match("a/{x}/b", "a//b") is None

    def test_escaped_braces_are_literals(self) -> None:
        assert match("x{{y}}", "x{y}") == {}


class TestOptionalAndDefault:
    def test_optional_absent_is_missing_from_values(self) -> None:
        assert match("orders/{id?}", "orders") == {}
        assert match("orders/{id?}", "orders/5") == {"id": "5"}

    def test_several_trailing_optionals(self) -> None:
        assert match("a/{b?}/{c?}", "a/1") == {"b": "1"}

    def test_default_fills_missing_value(self) -> None:
        assert match("page/{n=1}", "page") == {"n": "1"}
        assert match("page/{n=1}", "page/3") == {"n": "3"}

    def test_optional_with_constraint(self) -> None:
        assert match("o/{id:int?}", "o") == {}
        assert match("o/{id:int?}", "o/12") == {"id": "12"}
        assert match("o/{id:int?}", "o/x") is None

    def test_required_segment_after_missing_optional_does_not_match(self) -> None:
        assert match("x/{a?}/b", "x/b") is None
        assert match("x/{a?}/b", "x/1/b") == {"a": "1"}


class TestCatchAll:
    @pytest.mark.parametrize("template", ["files/{*rest}", "files/{**rest}"])
    def test_captures_slashes(self, template: str) -> None:
        assert match(template, "files/a/b/c.txt") == {"rest": "a/b/c.txt"}

    def test_matches_nothing_and_is_then_absent(self) -> None:
        assert match("files/{*rest}", "files") == {}

    def test_decodes_and_keeps_trailing_slash(self) -> None:
        assert match("{*route}", "a%20b/c/") == {"route": "a b/c/"}

    def test_with_default(self) -> None:
        assert match("f/{*rest=index}", "f") == {"rest": "index"}

    def test_asgi_route(self) -> None:
        assert match("/{*route}", "anything/at/all") == {"route": "anything/at/all"}


class TestComplexSegments:
    def test_name_dot_ext(self) -> None:
        assert match("files/{name}.{ext}", "files/report.pdf") == {"name": "report", "ext": "pdf"}

    def test_last_dot_splits_like_aspnet(self) -> None:
        assert match("files/{name}.{ext}", "files/a.b.c") == {"name": "a.b", "ext": "c"}

    def test_missing_literal_does_not_match(self) -> None:
        assert match("files/{name}.{ext}", "files/readme") is None

    def test_optional_extension(self) -> None:
        assert match("f/{name}.{ext?}", "f/readme") == {"name": "readme"}
        assert match("f/{name}.{ext?}", "f/readme.md") == {"name": "readme", "ext": "md"}

    def test_literal_prefix_is_case_insensitive(self) -> None:
        assert match("v{version:int}", "V2") == {"version": "2"}
        assert match("v{version:int}", "vx") is None


class TestConstraints:
    @pytest.mark.parametrize(
        ("constraint", "good", "bad"),
        [
            ("int", ["1", "-5", "2147483647"], ["abc", "1.5", "2147483648", "\u0661"]),
            ("long", ["9223372036854775807"], ["9223372036854775808", "x"]),
            ("bool", ["true", "FALSE"], ["yes", "1"]),
            ("alpha", ["abc", "ABC"], ["ab1", "é"]),
            ("decimal", ["1", "1.25", "-0.5"], ["1e5", "x", "1_000"]),
            ("double", ["1.5", "1e-3", "NaN", "-Infinity"], ["x", "1_0"]),
            ("float", ["2.5E3"], ["abc"]),
            (
                "guid",
                [
                    "0f8fad5b-d9cb-469f-a165-70867728950e",
                    "0f8fad5bd9cb469fa16570867728950e",
                    "{0f8fad5b-d9cb-469f-a165-70867728950e}",
                ],
                ["0f8fad5b-d9cb-469f-a165", "zz8fad5b-d9cb-469f-a165-70867728950e"],
            ),
            ("datetime", ["2024-01-31", "2024-01-31T10:00:00Z"], ["yesterday", "2024-13-01"]),
            ("length(3)", ["abc"], ["ab", "abcd"]),
            ("length(2,3)", ["ab", "abc"], ["a", "abcd"]),
            ("minlength(2)", ["ab", "abc"], ["a"]),
            ("maxlength(2)", ["a", "ab"], ["abc"]),
            ("min(10)", ["10", "99"], ["9", "x"]),
            ("max(10)", ["10", "-3"], ["11"]),
            ("range(1,5)", ["1", "5"], ["0", "6", "x"]),
            ("regex(^[a-z]{{2}}\\d+$)", ["ab1", "AB12"], ["a1", "abc"]),
        ],
    )
    def test_constraint(self, constraint: str, good: list[str], bad: list[str]) -> None:
        template = RouteTemplate(f"c/{{v:{constraint}}}")
        for value in good:
            assert template.match(f"c/{value}") == {"v": value}, value
        for value in bad:
            assert template.match(f"c/{value}") is None, value

    def test_int_rejects_abc(self) -> None:
        assert match("orders/{id:int}", "orders/abc") is None

    def test_constraint_names_are_case_insensitive(self) -> None:
        assert match("c/{v:INT}", "c/1") == {"v": "1"}

    def test_chained_constraints(self) -> None:
        template = RouteTemplate("n/{n:int:min(1):max(9)}")
        assert template.match("n/5") == {"n": "5"}
        assert template.match("n/0") is None
        assert template.match("n/10") is None

    def test_regex_with_parentheses_colons_and_question_mark(self) -> None:
        template = RouteTemplate("r/{v:regex(^a(b)?:c$)}")
        assert template.match("r/ab:c") == {"v": "ab:c"}
        assert template.match("r/a:c") == {"v": "a:c"}
        assert template.match("r/x") is None

    def test_regex_is_unanchored_like_ismatch(self) -> None:
        assert match("r/{v:regex(\\d)}", "r/abc1") == {"v": "abc1"}

    def test_net_named_groups_are_accepted(self) -> None:
        assert match("r/{v:regex(^(?<y>\\d{{4}})$)}", "r/2024") == {"v": "2024"}

    def test_default_must_satisfy_constraint(self) -> None:
        assert match("p/{n:int=x}", "p") is None


class TestInvalidTemplates:
    @pytest.mark.parametrize(
        ("template", "fragment"),
        [
            ("a//b", "consecutively"),
            ("{a", "closing '}'"),
            ("a}", "unmatched '}'"),
            ("{}", "invalid parameter name"),
            ("{*rest}/more", "catch-all parameter must be the last"),
            ("x{*rest}", "catch-all parameter must be a whole segment"),
            ("{*rest?}", "cannot be marked optional"),
            ("{a}{b}", "two consecutive parameters"),
            ("{a=1?}", "cannot have a default"),
            ("{a?=1}", "invalid parameter"),
            ("{a:nosuch}", "unknown constraint"),
            ("{a:int(3)}", "takes no argument"),
            ("{a:length(x)}", "integer arguments"),
            ("{a:length}", "needs an argument"),
            ("{a:range(5,1)}", "min > max"),
            ("{a:regex([)}", "invalid pattern"),
            ("{a}/{A}", "more than once"),
            ("{a}-{b?}", "preceded by '.'"),
            ("a?b", "cannot contain '?'"),
            ("{a:regex(x}", "missing its closing ')'"),
        ],
    )
    def test_rejected_with_clear_message(self, template: str, fragment: str) -> None:
        with pytest.raises(RouteError) as info:
            RouteTemplate(template)
        assert fragment in str(info.value)
        assert repr(template) in str(info.value)

    def test_route_error_is_a_value_error(self) -> None:
        assert issubclass(RouteError, ValueError)


class TestRouteTable:
    def test_literal_beats_parameter_regardless_of_order(self) -> None:
        for order in (["items/{id}", "items/recent"], ["items/recent", "items/{id}"]):
            table: RouteTable[str] = RouteTable()
            for template in order:
                table.add(template, None, template)
            assert table.resolve("GET", "items/recent") == ("items/recent", {})
            assert table.resolve("GET", "items/7") == ("items/{id}", {"id": "7"})

    def test_constrained_beats_unconstrained(self) -> None:
        table: RouteTable[str] = RouteTable()
        table.add("items/{name}", None, "by-name")
        table.add("items/{id:int}", None, "by-id")
        assert table.resolve("GET", "items/5") == ("by-id", {"id": "5"})
        assert table.resolve("GET", "items/x") == ("by-name", {"name": "x"})

    def test_catch_all_is_last(self) -> None:
        table: RouteTable[str] = RouteTable()
        table.add("{*path}", None, "fallback")
        table.add("{a}/{b}", None, "two")
        table.add("api/{x}", None, "api")
        assert table.resolve("GET", "api/1")[0] == "api"
        assert table.resolve("GET", "z/1")[0] == "two"
        assert table.resolve("GET", "z/1/2")[0] == "fallback"

    def test_ties_keep_registration_order(self) -> None:
        table: RouteTable[str] = RouteTable()
        table.add("x/{a}", None, "first")
        table.add("x/{b}", None, "second")
        assert table.resolve("GET", "x/1") == ("first", {"a": "1"})

    def test_methods_are_case_insensitive_and_none_means_all(self) -> None:
        table: RouteTable[str] = RouteTable()
        table.add("a", ["get", "Post"], "a")
        table.add("b", None, "b")
        assert table.resolve("post", "a")[0] == "a"
        assert table.resolve("PATCH", "b")[0] == "b"

    def test_wrong_method_falls_through_to_a_later_route(self) -> None:
        table: RouteTable[str] = RouteTable()
        table.add("orders/new", ["GET"], "form")
        table.add("orders/{id}", ["POST"], "update")
        assert table.resolve("POST", "orders/new") == ("update", {"id": "new"})

    def test_wrong_method_is_a_not_found_that_names_allowed_methods(self) -> None:
        table: RouteTable[str] = RouteTable()
        table.add("orders", ["GET", "POST"], "orders")
        table.add("orders", ["DELETE"], "purge")
        with pytest.raises(RouteNotFound) as info:
            table.resolve("PUT", "orders")
        assert isinstance(info.value, MethodNotAllowed)
        assert info.value.allowed == ["DELETE", "GET", "POST"]

    def test_head_is_not_implied_by_get(self) -> None:
        table: RouteTable[str] = RouteTable()
        table.add("r", ["GET"], "r")
        with pytest.raises(MethodNotAllowed):
            table.resolve("HEAD", "r")

    def test_empty_method_list_allows_nothing(self) -> None:
        table: RouteTable[str] = RouteTable()
        table.add("r", [], "r")
        with pytest.raises(MethodNotAllowed) as info:
            table.resolve("GET", "r")
        assert info.value.allowed == []

    def test_unknown_path_is_not_found(self) -> None:
        table: RouteTable[str] = RouteTable()
        table.add("a", None, "a")
        with pytest.raises(RouteNotFound) as info:
            table.resolve("GET", "b")
        assert not isinstance(info.value, MethodNotAllowed)

    def test_accepts_a_parsed_template_and_rejects_bad_ones(self) -> None:
        table: RouteTable[int] = RouteTable()
        table.add(RouteTemplate("n/{n:int}"), None, 1)
        assert table.resolve("GET", "n/2") == (1, {"n": "2"})
        assert len(table) == 1
        with pytest.raises(RouteError):
            table.add("{bad", None, 2)

    def test_precedence_digits(self) -> None:
        assert RouteTemplate("api/template/{id:int}").precedence == (1, 1, 2)
        assert RouteTemplate("{a}.{b}/{*r}").precedence == (2, 5)
        assert RouteTemplate("{*r:minlength(1)}").precedence == (4,)

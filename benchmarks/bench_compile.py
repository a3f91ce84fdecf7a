"""compile(): what validation costs a server, cold and cached.

Medians over repeated runs, all measured in this process:
- cached: the same request string again (the server's steady state, a dict lookup);
- respaced: new text that parses to an already planned selection (parse + AST-keyed lookup);
- cold: parse (cached) + validate + plan, with the plan cache emptied every time;
- graphql-core: ``validate`` of the equivalent GraphQL document (parsed once) against the
  equivalent GraphQL schema, for scale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks._timing import interleaved_medians
from benchmarks.data import LONG_REQUEST as REQUEST
from benchmarks.data import SCHEMA
from graphfields.compiler import caches, compile

GRAPHQL_SDL = """
type Owner { id: ID, username: String, profile_pic_url: String, type: String, full_name: String }
type Location { id: ID, name: String, slug: String, has_public_page: Boolean }
type PageInfo { has_next_page: Boolean, has_previous_page: Boolean,
                start_cursor: String, end_cursor: String }
type Comment { id: ID, parent_id: ID, created_time: String, timestamp: Int, text: String,
               owner_id: ID, last_update: Int, is_being_updated: Boolean, owner: Owner }
type CommentEdge { cursor: String, node: Comment }
type CommentConnection { page_info: PageInfo, edges: [CommentEdge] }
type Media { id: ID, shortcode: String, created_time: String, timestamp: Int,
             media_type: String, media_url: String, caption: [String],
             tagged_user_media: [String], tagged_user_text: [String], tags: [String],
             like_count: Int, comment_count: Int, video_view_count: Int, owner_id: ID,
             location_id: ID, last_update: Int, is_being_updated: Boolean,
             location: Location, owner: Owner,
             comments(first: Int, last: Int, after: String, before: String): CommentConnection }
type MediaEdge { cursor: String, node: Media }
type MediaConnection { page_info: PageInfo, edges: [MediaEdge] }
type User { id: ID, username: String, media(first: Int, last: Int, after: String,
            before: String): MediaConnection }
type Query { user: User }
"""

GRAPHQL_QUERY = (
    "{ user { id username media(first: 100) { edges { node { shortcode created_time timestamp "
    "media_type media_url caption tagged_user_media tagged_user_text tags like_count "
    "comment_count video_view_count location { id name slug has_public_page } "
    "owner { id username full_name profile_pic_url } "
    "comments(first: 20) { edges { node { id parent_id created_time timestamp text "
    "owner { id username full_name profile_pic_url } } } } } } } } }"
)


def main() -> None:
    schema = SCHEMA
    compile(schema, "User", REQUEST)
    respaced = REQUEST.replace(",", ", ")
    kept = caches(schema)

    def cold() -> None:
        kept.plans.clear()
        kept.shapes.clear()
        compile(schema, "User", REQUEST)

    def respaced_lookup() -> None:
        kept.plans.clear()  # a new text of a known shape: parse + bind
        compile(schema, "User", respaced)

    def micros(fn: Callable[[], Any], number: int) -> float:
        return interleaved_medians({"": fn}, 7, number)[""] * 1e6

    results = {
        "cached (same string)": micros(lambda: compile(schema, "User", REQUEST), 100_000),
        "respaced (parse, shape cached)": micros(respaced_lookup, 2_000),
        "cold (parse + walk + bind)": micros(cold, 500),
    }
    try:
        from graphql import build_schema, parse, validate
    except ImportError:  # graphql-core is a test extra
        gql = None
    else:
        gschema = build_schema(GRAPHQL_SDL)
        doc = parse(GRAPHQL_QUERY)
        assert not validate(gschema, doc)
        gql = micros(lambda: validate(gschema, doc), 200)
        results["graphql-core validate (parsed)"] = gql
    cold_us = results["cold (parse + walk + bind)"]
    for name, us in results.items():
        ratio = f"  (graphql-core validate / this = {gql / us:,.0f}x)" if gql else ""
        print(f"{name:34s} {us:10.2f} us{ratio}")
    print(f"cold / cached: {cold_us / results['cached (same string)']:.0f}x")

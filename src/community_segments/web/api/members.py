"""Ad-hoc criteria: count, a page of members, and the CSV export."""

from __future__ import annotations

from ... import schemas
from ...query.criteria import Criteria
from ..openapi import apidoc
from .blueprint import api
from .helpers import body, count_json, criteria_of, csv_response, member_page, query, service


def _count(criteria: Criteria):
    return count_json(service(), criteria)


@api.get("/count")
@apidoc("Count the members matching criteria (query string)", "members",
        query=schemas.CriteriaQuery, responses={200: schemas.Count})
def count_get():
    return _count(criteria_of(query(schemas.CriteriaQuery)["criteria"]))


@api.post("/count")
@apidoc("Count the members matching criteria (JSON body)", "members",
        body=schemas.CriteriaRequest, responses={200: schemas.Count})
def count_post():
    return _count(criteria_of(body(schemas.CriteriaRequest)["criteria"]))


@api.get("/members")
@apidoc("A page of the members matching criteria (query string)", "members",
        query=schemas.AdhocMembersQuery, responses={200: schemas.MemberPage})
def members_get():
    args = query(schemas.AdhocMembersQuery)
    return member_page(service(), criteria_of(args.pop("criteria")), args)


@api.post("/members")
@apidoc("A page of the members matching criteria (JSON body)", "members",
        body=schemas.MembersRequest, responses={200: schemas.MemberPage})
def members_post():
    data = body(schemas.MembersRequest)
    return member_page(service(), criteria_of(data.pop("criteria")), data)


@api.get("/export.csv")
@apidoc("Every member matching criteria as CSV, streamed", "members",
        query=schemas.CriteriaQuery, responses={200: "text/csv"})
def export_adhoc():
    criteria = criteria_of(query(schemas.CriteriaQuery)["criteria"])
    return csv_response(service(), criteria, "members.csv")

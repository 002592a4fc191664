"""Routes and operations: a route named ``"<api>:<operation>"`` belongs to that operation.

At startup every operation policy must bind to a named route: a typo in a folder name must not
silently disable caching.
"""

from __future__ import annotations

from collections.abc import Iterator

from aiohttp import web

from aiohttp_apim.errors import Problem, did_you_mean
from aiohttp_apim.policy.scopes import PolicySet

__all__ = ["applications", "binding_problems", "named_resources", "operation_of", "route_names"]


def operation_of(route_name: str | None) -> tuple[str | None, str | None]:
    """(api id, operation id) of a route name ``"api:op"``; (None, None) for any other."""
    if route_name is None:
        return None, None
    api, sep, operation = route_name.partition(":")
    if not sep or not api or not operation or ":" in operation:
        return None, None
    return api, operation


def applications(app: web.Application) -> Iterator[web.Application]:
    """``app`` and its sub-applications (add_subapp, add_domain), which keep their own routers."""
    yield app
    for resource in app.router.resources():
        sub = resource.get_info().get("app")
        if isinstance(sub, web.Application) and sub is not app:
            yield from applications(sub)


def route_names(app: web.Application) -> set[str]:
    """Every route name of ``app`` and of its sub-applications."""
    return {name for each in applications(app) for name in each.router.named_resources()}


def named_resources(app: web.Application) -> list[web.AbstractResource]:
    """Every named resource of ``app`` and of its sub-applications."""
    return [
        resource
        for each in applications(app)
        for resource in each.router.resources()
        if resource.name is not None
    ]


def binding_problems(policies: PolicySet, names: set[str]) -> list[Problem]:
    """A ``binding`` problem per operation policy that no route of the app is named for (with
    the closest route name, when one is close: a misspelt folder or route name)."""
    problems = []
    operations = sorted(n for n in names if operation_of(n)[0] is not None)
    known = ", ".join(operations) if operations else "none"
    for (api, operation), document in sorted(policies.operations.items()):
        name = f"{api}:{operation}"
        if name in names:
            continue
        problems.append(
            Problem(
                "binding",
                document.file,
                1,
                1,
                f"the operation policy for '{name}' binds to no route: no route of the app is "
                f"named '{name}'{did_you_mean(name, operations)} (routes named "
                f"'<api>:<operation>': {known})",
            )
        )
    return problems

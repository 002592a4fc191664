"""Plans by route: which operation a route is, and the compiled plan for each (route, product).

Plans are compiled eagerly for every scope a policy document defines (so that nothing can fail
later), for each named route when the app starts (:meth:`Router.bind`), and for a product the
first time one of its callers comes (routes x products can be many, and most pairs are never
called). Per request the middleware only looks a binding up and asks it for its plan.
"""

from __future__ import annotations

from aiohttp import web

from aiohttp_apim.errors import PolicyError
from aiohttp_apim.pipeline.compiler import CompileOptions, compile_plan
from aiohttp_apim.pipeline.plan import Plan
from aiohttp_apim.policy.scopes import PolicySet, ScopeKey
from aiohttp_apim.web.binding import binding_problems, named_resources, operation_of, route_names

__all__ = ["RouteBinding", "Router"]


class RouteBinding:
    """A route's operation and its plans, one per product (compiled on first need)."""

    __slots__ = ("_router", "api", "method", "operation", "plans", "url_template")

    def __init__(
        self,
        router: Router,
        api: str | None,
        operation: str | None,
        method: str = "",
        url_template: str = "",
    ) -> None:
        self._router = router
        self.api = api
        self.operation = operation
        self.method = method
        self.url_template = url_template
        self.plans: dict[str | None, Plan] = {}

    def plan(self, product: str | None) -> Plan:
        plan = self.plans.get(product)
        if plan is None:
            plan = self.plans[product] = self._router.plan(
                (product, self.api, self.operation), self.method, self.url_template
            )
        return plan


class Router:
    """The plans of one policy set, by route name."""

    def __init__(self, policies: PolicySet, options: CompileOptions) -> None:
        self.policies = policies
        self._options = options
        self._plans: dict[tuple[ScopeKey, str, str], Plan] = {}
        for key in policies.scope_keys():
            self.plan(key)
        self._outside = RouteBinding(self, None, None)
        self._routes: dict[str, RouteBinding] = {}
        self.by_route: dict[web.AbstractRoute, RouteBinding] = {}
        """The binding of each route of the app (by the route object: the fastest lookup)."""
        self.anonymous: dict[web.AbstractRoute, Plan] = {}
        """When nobody is identified (no subscriptions), the plan of each route served so far:
        every request of a route then has that plan, found in one lookup. The middleware fills
        it in (it knows the callers)."""
        self.bound = False
        self.binding_error: PolicyError | None = None
        """Set when binding on a first request failed (``policy_middleware``): every request
        is then refused."""
        self.app: web.Application | None = None
        """The app bound to (once bound)."""

    def plan(self, key: ScopeKey, method: str = "", url_template: str = "") -> Plan:
        """The plan of ``key`` (product, API, operation), compiled on first need."""
        memo = (key, method, url_template)
        plan = self._plans.get(memo)
        if plan is None:
            plan = self._plans[memo] = compile_plan(
                self.policies,
                key,
                self._options,
                operation_method=method,
                url_template=url_template,
            )
        return plan

    def route(self, name: str | None, route: web.AbstractRoute | None = None) -> RouteBinding:
        """The binding of the route named ``name`` (made on first sight); ``route``, when given,
        is remembered in :attr:`by_route`."""
        binding = self._named(name, route)
        if route is not None and route.resource is not None:  # (not a 404's or 405's route)
            self.by_route[route] = binding
        return binding

    def _named(self, name: str | None, route: web.AbstractRoute | None) -> RouteBinding:
        if name is None:
            return self._outside
        binding = self._routes.get(name)
        if binding is not None:
            return binding
        api, operation = operation_of(name)
        if api is None:  # a route outside every API: the global (and product) scope only
            binding = self._routes[name] = self._outside
            return binding
        method = url_template = ""
        if route is not None:
            method = route.method
            resource = route.resource
            url_template = "" if resource is None else resource.canonical
        binding = self._routes[name] = RouteBinding(self, api, operation, method, url_template)
        return binding

    def bind(self, app: web.Application) -> None:
        """Check that every operation policy binds to a named route of ``app`` (raises
        :class:`PolicyError`, kind ``binding``), and compile the plans of its routes."""
        names = route_names(app)
        problems = binding_problems(self.policies, names)
        if problems:
            raise PolicyError(problems)
        for resource in named_resources(app):
            for route in resource:
                self.route(resource.name, route).plan(None)
                break  # one binding per name; its first route gives the method
        self.app = app
        self.bound = True

    def adopt(self, other: Router) -> None:
        """Serve ``other``'s plans from now on (a reload). The middleware keeps this object, so
        the switch is one synchronous step: a request runs wholly on the old plans or wholly
        on the new ones."""
        self.policies = other.policies
        self._options = other._options
        self._plans = other._plans
        self._outside = other._outside
        self._routes = other._routes
        self.by_route = other.by_route
        self.anonymous = other.anonymous
        self.app = other.app
        self.binding_error = other.binding_error
        self.bound = other.bound

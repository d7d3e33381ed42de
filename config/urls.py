from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_page
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from web.operations.metrics import metrics_view

api_patterns = [
    path("", include("web.operations.urls")),
    path("", include("web.accounts.urls")),
    path("", include("web.activity.urls")),
    path("", include("web.profiles.urls")),
    path("", include("web.relations.urls")),
    path("", include("web.marketplace.urls")),
    path("", include("web.lessons.urls")),
    path("", include("web.reviews.urls")),
    # Built once per process and format (about 25 ms each time otherwise, for anyone).
    path("schema/", cache_page(3600)(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

def _with_slash(request: HttpRequest) -> HttpResponsePermanentRedirect:
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))


urlpatterns = [
    path("api/", include(api_patterns)),
    path("metrics", metrics_view, name="metrics"),
    # APPEND_SLASH is off for the API; the admin's pages, typed into an address bar, still
    # find their slash.
    re_path(r"^admin(?:/.*[^/])?$", _with_slash),
    path("admin/", admin.site.urls),
]

handler400 = "web.core.errors.handler400"
handler403 = "web.core.errors.handler403"
handler404 = "web.core.errors.handler404"
handler500 = "web.core.errors.handler500"

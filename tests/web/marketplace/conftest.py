from tests.search.conftest import (  # noqa: F401
    _fast_passwords,
    _fresh_facet_cache,
    _fresh_search_breaker,
    clean_buffers,
    index_tutors,
)

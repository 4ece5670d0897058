from rest_framework.routers import DefaultRouter

from communities.api import register as register_communities
from core.api_views import register as register_core
from finance.api import register as register_finance
from staffing.api import register as register_staffing

router = DefaultRouter()
register_core(router)
register_communities(router)
register_staffing(router)
register_finance(router)

urlpatterns = router.urls

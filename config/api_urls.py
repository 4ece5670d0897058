from rest_framework.routers import DefaultRouter

from communities.api import register as register_communities
from core.api_views import register as register_core
from staffing.api import register as register_staffing

router = DefaultRouter()
register_core(router)
register_communities(router)
register_staffing(router)

urlpatterns = router.urls

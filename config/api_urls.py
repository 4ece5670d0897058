from rest_framework.routers import DefaultRouter

from communities.api import register as register_communities
from core.api_views import register as register_core

router = DefaultRouter()
register_core(router)
register_communities(router)

urlpatterns = router.urls

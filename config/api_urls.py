from rest_framework.routers import DefaultRouter

from affairs_disclosure.api import register as register_disclosure
from attendance.api import register as register_attendance
from communities.api import register as register_communities
from core.api_views import register as register_core
from finance.api import register as register_finance
from meetings.api import register as register_meetings
from staffing.api import register as register_staffing

router = DefaultRouter()
register_core(router)
register_communities(router)
register_staffing(router)
register_finance(router)
register_attendance(router)
register_meetings(router)
register_disclosure(router)

urlpatterns = router.urls

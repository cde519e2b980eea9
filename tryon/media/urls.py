from django.urls import path

from tryon.media import views

app_name = "media"
urlpatterns = [path("<path:name>", views.serve, name="file")]

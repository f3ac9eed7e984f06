from django.contrib import admin

from .admin_templates import MessageTemplateAdmin
from .models import MessageTemplate

admin.site.register(MessageTemplate, MessageTemplateAdmin)

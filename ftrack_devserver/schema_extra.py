"""Entity types served only because the core types reference them (the client looks up every
``$ref`` in its type table): scheduling, lists, links, review sessions, dashboards, security roles,
custom attributes. The publishing flows do not touch them; they are declared so the schema is
closed under ``$ref`` and matches a real server's names and kinds.
"""

from ftrack_devserver.schema_notation import T

EXTRA_TYPES: list[T] = [
    T(
        "CustomAttributeValue",
        """
        configuration_id:fk!^ entity_id!^ configuration>CustomAttributeConfiguration@configuration_id
        value:var
        """,
        pk="configuration_id entity_id",
        sys="configuration_id entity_id",
    ),
    T(
        "List",
        """
        id!^={uid} category>ListCategory@category_id category_id:fk!
        custom_attribute_links{CustomAttributeLink}-
        custom_attribute_links_from{CustomAttributeLinkFrom}-
        custom_attributes{ListCustomAttributeValue}@entity_id date:dt is_open:bool!=true name=
        owner>User@user_id project>Project@project_id project_id:fk! system_type=task user_id:fk
        """,
        sys="project_id",
    ),
    T(
        "Appointment",
        """
        id!^={uid} context>Context@context_id context_id:fk! resource>Resource@resource_id
        resource_id:fk! type!
        """,
    ),
    T(
        "AssetCustomAttributeValue",
        """
        entity_id:fk!^ key
        """,
        base="CustomAttributeValue",
        dp="configuration_id entity_id key",
    ),
    T(
        "AssetVersionCustomAttributeValue",
        """
        entity_id:fk!^ key
        """,
        base="CustomAttributeValue",
        dp="configuration_id entity_id key",
    ),
    T(
        "AssetVersionLink",
        """
        id!^={uid} from>AssetVersion@from_id from_id:fk! metadata{Metadata}@parent_id
        to>AssetVersion@to_id to_id:fk!
        """,
        dp="id from_id to_id",
    ),
    T(
        "AssetVersionList",
        """
        items[AssetVersion]@ListObject(list_id,entity_id) system_type=assetversion
        """,
        base="List",
    ),
    T(
        "CalendarEvent",
        """
        id!^={uid} calendar_event_resources[CalendarEventResource]@calendar_event_id created_at:dt
        created_by>User@created_by_id created_by_id:fk effort:num end:dt! estimate:num everyone:bool
        forecast:bool leave:bool metadata{Metadata}@parent_id name!= project>Project@project_id
        project_id:fk start:dt! type>Type@type_id type_id:fk
        """,
        dp="id start end",
        sys="project_id",
    ),
    T(
        "CalendarEventResource",
        """
        id!^={uid} calendar_event>CalendarEvent@calendar_event_id calendar_event_id:fk! created_at:dt
        created_by>User@created_by_id created_by_id:fk resource>Resource@resource_id resource_id:fk!
        """,
        dp="id calendar_event_id resource_id",
    ),
    T(
        "ContextCustomAttributeValue",
        """
        entity_id:fk!^ key
        """,
        base="CustomAttributeValue",
        dp="configuration_id entity_id key",
    ),
    T(
        "CustomAttributeGroup",
        """
        id!^={uid} custom_attribute_configurations[CustomAttributeConfiguration]@group_id name
        """,
        dp="id name",
    ),
    T(
        "CustomAttributeLink",
        """
        id^={uid} configuration>CustomAttributeLinkConfiguration@configuration_id configuration_id:fk!^
        from_id! to_id!
        """,
        dp="configuration_id from_id to_id",
    ),
    T(
        "CustomAttributeLinkConfiguration",
        """
        id!^={uid} config! core:bool!=false entity_type! entity_type_to!^
        group>CustomAttributeGroup@group_id group_id:fk key label object_type>ObjectType@object_type_id
        object_type_id object_type_id_to:fk^ object_type_to>ObjectType@object_type_id_to one_to_one:bool
        project_id read_security_roles[SecurityRole] sort:int=0 write_security_roles[SecurityRole]
        """,
    ),
    T(
        "CustomAttributeLinkFrom",
        """
        id^={uid} configuration>CustomAttributeLinkConfiguration@configuration_id configuration_id:fk!^
        from_entity_type from_id! to_entity_type to_id!
        """,
        dp="configuration_id from_id to_id",
    ),
    T(
        "CustomAttributeType",
        """
        id!^={uid} core:bool!=false
        custom_attribute_configurations[CustomAttributeConfiguration]@type_id form_config name
        """,
    ),
    T(
        "Dashboard",
        """
        id!^={uid} created_by>User@created_by_id created_by_id:fk
        dashboard_resources[DashboardResource]@dashboard_id is_shared_with_everyone:bool=false name
        widgets[DashboardWidget]@dashboard_id
        """,
    ),
    T(
        "DashboardResource",
        """
        dashboard_id:fk>Dashboard!^ resource_id:fk>Resource!^ dashboard>Dashboard@dashboard_id
        is_shared_with_everyone:bool=false resource>Resource@resource_id
        """,
        pk="dashboard_id resource_id",
        sys="dashboard_id resource_id",
    ),
    T(
        "DashboardWidget",
        """
        id!^={uid} config dashboard>Dashboard@dashboard_id dashboard_id:fk sort:num type
        """,
    ),
    T(
        "Disk",
        """
        id!^={uid} name! projects[Project]@disk_id unix windows
        """,
    ),
    T(
        "EntitySetting",
        """
        group!^ name!^ parent_id!^ parent_type! value!
        """,
        pk="parent_id group name",
        dp="parent_id group name value parent_type",
    ),
    T(
        "ListCategory",
        """
        id!^={uid} lists[List]@category_id name
        """,
    ),
    T(
        "ListCustomAttributeValue",
        """
        entity_id:fk!^ key
        """,
        base="CustomAttributeValue",
        dp="configuration_id entity_id key",
    ),
    T(
        "Manager",
        """
        id!^={uid} context>Context@context_id context_id:fk type>ManagerType@type_id type_id:fk
        user>User@user_id user_id:fk
        """,
    ),
    T(
        "ManagerType",
        """
        id!^={uid} name
        """,
    ),
    T(
        "ReviewSession",
        """
        id!^={uid} availability created_at:dt! created_by>User@created_by_id created_by_id:fk!
        description!= end_date:dt! is_moderated:bool is_open:bool^~ 'name!=New review session'
        passphrase passphrase_enabled:bool project>Project@project_id project_id:fk!
        review_session_invitees[ReviewSessionInvitee]@review_session_id
        review_session_objects[ReviewSessionObject]@review_session_id settings[EntitySetting]
        shareable_url_enabled:bool start_date:dt! thumbnail>Component@thumbnail_id thumbnail_id:fk^~
        thumbnail_url:obj^~
        """,
    ),
    T(
        "ReviewSessionInvitee",
        """
        id!^={uid} created_at:dt! created_by>User@created_by_id created_by_id:fk!
        created_from_shared_url:bool^ email! last_sent_at:dt name!
        review_session>ReviewSession@review_session_id review_session_id:fk!
        statuses[ReviewSessionObjectStatus]@review_session_invitee_id
        """,
        sys="review_session_id",
    ),
    T(
        "ReviewSessionObject",
        """
        id!^={uid} asset_version>AssetVersion@version_id created_at:dt! description!= name!=
        notes[Note]@parent_id review_session>ReviewSession@review_session_id review_session_id:fk!
        sort_order:num! statuses[ReviewSessionObjectStatus]@review_session_object_id version!=
        version_id:fk!
        """,
        sys="review_session_id",
    ),
    T(
        "ReviewSessionObjectStatus",
        """
        id!^={uid} created_at:dt! invitee>ReviewSessionInvitee@review_session_invitee_id
        review_session_invitee_id:fk review_session_object>ReviewSessionObject@review_session_object_id
        review_session_object_id:fk status
        """,
        sys="review_session_object_id",
    ),
    T(
        "Scope",
        """
        id!^={uid} name!
        """,
    ),
    T(
        "SecurityRole",
        """
        id!^={uid} name type:fk user_security_roles[UserSecurityRole]@security_role_id
        """,
        dp="id name",
    ),
    T(
        "StatusChange",
        """
        id!^ date:dt from_status>Status@from_status_id from_status_id:fk parent_id parent_type
        status>Status@status_id status_id:fk user>User@user_id user_id:fk
        """,
    ),
    T(
        "TaskTemplate",
        """
        id!^={uid} items[TaskTemplateItem]@template_id name!
        project_schema>ProjectSchema@project_schema_id project_schema_id:fk!
        """,
        dp="id name",
    ),
    T(
        "TaskTemplateItem",
        """
        id!^={uid} task_type>Type@task_type_id task_type_id:fk! template>TaskTemplate@template_id
        template_id:fk!
        """,
    ),
    T(
        "Timelog",
        """
        id!^={uid} comment!= context>Context@context_id context_id:fk duration:num! name start:dt!
        time_zone_offset:num user>User@user_id user_id:fk
        """,
        sys="context_id user_id",
    ),
    T(
        "TypedContextLink",
        """
        id!^={uid} from>TypedContext@from_id from_id:fk! metadata{Metadata}@parent_id
        to>TypedContext@to_id to_id:fk!
        """,
        dp="id from_id to_id",
    ),
    T(
        "TypedContextList",
        """
        items[Task]@ListObject(list_id,entity_id)
        """,
        base="List",
    ),
    T(
        "UserCustomAttributeValue",
        """
        entity_id:fk!^ key
        """,
        base="CustomAttributeValue",
        dp="configuration_id entity_id key",
    ),
    T(
        "UserSecurityRole",
        """
        id!^={uid} is_all_open_projects:bool is_all_projects:bool
        security_role>SecurityRole@security_role_id security_role_id:fk user>User@user_id user_id:fk
        user_security_role_projects[UserSecurityRoleProject]@user_security_role_id
        """,
        dp="id user_id security_role_id",
    ),
    T(
        "UserSecurityRoleProject",
        """
        id!^={uid} project>Project@project_id project_id:fk
        user_security_role>UserSecurityRole@user_security_role_id user_security_role_id:fk
        """,
        dp="id user_security_role_id project_id",
    ),
    T(
        "UserType",
        """
        id!^={uid} name^
        """,
    ),
]

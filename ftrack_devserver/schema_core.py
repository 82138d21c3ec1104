"""Entity types of the publishing flows: contexts, assets, versions, components, locations, users,
statuses and workflows, notes, jobs, metadata (FTRACK-PROTOCOL §2.5 plus what statuses, types and
priorities need). Notation: ``schema_notation``. Names, kinds, keys and defaults follow what a real
ftrack server reports; the ``@`` wiring is this server's own storage model.
"""

from ftrack_devserver.schema_notation import T

CORE_TYPES: list[T] = [
    T(
        "Context",
        """
        id!^={uid} allocations[Appointment]@context_id&type=allocation
        appointments[Appointment]@context_id assets[Asset]@context_id
        assignments[Appointment]@context_id&type=assignment children[Context]@parent_id context_type!
        created_at:dt^ created_by>User@created_by_id^ created_by_id:fk^
        custom_attribute_links{CustomAttributeLink}-
        custom_attribute_links_from{CustomAttributeLinkFrom}-
        custom_attributes{ContextCustomAttributeValue}@entity_id _link^ link^
        managers[Manager]@context_id name!= notes[Note]@parent_id parent>Context@parent_id parent_id:fk
        project_id:fk scopes[Scope] thumbnail>Component@thumbnail_id thumbnail_id:fk thumbnail_url:obj^~
        timelogs[Timelog]@context_id
        """,
        dp="context_type id name",
        sys="context_type",
    ),
    T(
        "Project",
        """
        calendar_events[CalendarEvent]@project_id color descendants[TypedContext] disk>Disk@disk_id
        disk_id:fk end_date:dt full_name is_global:bool!=false is_private:bool=false
        metadata{Metadata}@parent_id project_schema>ProjectSchema@project_schema_id
        project_schema_id:fk! review_sessions[ReviewSession]@project_id root start_date:dt status!
        user_security_role_projects[UserSecurityRoleProject]@project_id
        """,
        base="Context",
    ),
    T(
        "TypedContext",
        """
        ancestors[TypedContext] bid:num! bid_time_logged_difference:num^~ descendants[TypedContext]
        description end_date:dt incoming_links[TypedContextLink]@to_id lists[TypedContextList]
        metadata{Metadata}@parent_id object_type>ObjectType@object_type_id object_type_id:fk!
        outgoing_links[TypedContextLink]@from_id priority>Priority@priority_id priority_id:fk!
        project>Project@project_id sort:num! start_date:dt status>Status@status_id
        status_changes[StatusChange] status_id:fk! time_logged:num^~ type>Type@type_id type_id:fk!
        """,
        base="Context",
        sys="context_type project_id",
    ),
    T(
        "Sequence",
        """
        bid:num!^ end_date:dt^ object_type>ObjectType@object_type_id^
        object_type_id:fk!^=e5139355-61da-4c8f-9db4-3abc870166bc
        priority_id:fk!=9661b320-3a0c-11e2-81c1-0800200c9a66 start_date:dt^ status>Status@status_id^
        status_id:fk!^ type>Type@type_id^ type_id:fk!^
        """,
        base="TypedContext",
    ),
    T(
        "Shot",
        """
        bid:num!^ end_date:dt^ object_type>ObjectType@object_type_id^
        object_type_id:fk!^=bad911de-3bd6-47b9-8b46-3476e237cb36
        priority_id:fk!=9661b320-3a0c-11e2-81c1-0800200c9a66 start_date:dt^ type>Type@type_id^
        type_id:fk!^
        """,
        base="TypedContext",
    ),
    T(
        "Task",
        """
        object_type>ObjectType@object_type_id^ object_type_id:fk!^=11c137c0-ee7e-4f9c-91c5-8c77cec22b2c
        priority_id:fk!=9661b320-3a0c-11e2-81c1-0800200c9a66
        """,
        base="TypedContext",
    ),
    T(
        "Asset",
        """
        id!^={uid} context_id:fk custom_attribute_links{CustomAttributeLink}-
        custom_attribute_links_from{CustomAttributeLinkFrom}-
        custom_attributes{AssetCustomAttributeValue}@entity_id latest_version>AssetVersion~
        metadata{Metadata}@parent_id name parent>Context@context_id type>AssetType@type_id type_id:fk
        versions[AssetVersion]@asset_id
        """,
        sys="context_id",
    ),
    T(
        "AssetType",
        """
        id!^={uid} assets[Asset]@type_id component=main name! short!
        """,
    ),
    T(
        "AssetVersion",
        """
        id!^={uid} asset>Asset@asset_id asset_id:fk comment= components[Component]@version_id
        custom_attribute_links{CustomAttributeLink}-
        custom_attribute_links_from{CustomAttributeLinkFrom}-
        custom_attributes{AssetVersionCustomAttributeValue}@entity_id date:dt
        incoming_links[AssetVersionLink]@to_id is_latest_version:bool^ is_published:bool!=true _link^
        link^ lists[AssetVersionList] metadata{Metadata}@parent_id notes[Note]@parent_id
        outgoing_links[AssetVersionLink]@from_id review_session_objects[ReviewSessionObject]@version_id
        status>Status@status_id status_changes[StatusChange] status_id:fk! task>Task@task_id task_id:fk
        thumbnail>Component@thumbnail_id thumbnail_id:fk thumbnail_url:obj^~
        used_in_versions[AssetVersion] user>User@user_id user_id:fk uses_versions[AssetVersion]
        version:int
        """,
        sys="asset_id",
    ),
    T(
        "Component",
        """
        id!^={uid} component_locations[ComponentLocation]@component_id
        container>ContainerComponent@container_id container_id:fk
        custom_attribute_links{CustomAttributeLink}-
        custom_attribute_links_from{CustomAttributeLinkFrom}- file_type metadata{Metadata}@parent_id
        name!=main size:int=0 system_type! version>AssetVersion@version_id version_id:fk
        """,
        dp="id system_type",
        sys="system_type version_id",
    ),
    T(
        "FileComponent",
        """
        id:fk!^={uid}
        """,
        base="Component",
    ),
    T(
        "SequenceComponent",
        """
        id:fk!^={uid} members[Component]@container_id padding:int!=0
        """,
        base="Component",
    ),
    T(
        "ContainerComponent",
        """
        id:fk!^={uid} members[Component]@container_id
        """,
        base="Component",
    ),
    T(
        "ComponentLocation",
        """
        id!^={uid} component>Component@component_id component_id:fk location>Location@location_id
        location_id:fk resource_identifier url:obj~
        """,
        sys="component_id location_id",
    ),
    T(
        "Location",
        """
        id!^={uid} description label location_components[ComponentLocation]@location_id name!
        """,
    ),
    T(
        "Resource",
        """
        id!^={uid} allocations[Appointment]@resource_id&type=allocation
        appointments[Appointment]@resource_id assignments[Appointment]@resource_id&type=assignment
        dashboard_resources[DashboardResource]@resource_id resource_type!
        """,
        sys="resource_type",
    ),
    T(
        "User",
        """
        custom_attribute_links{CustomAttributeLink}-
        custom_attribute_links_from{CustomAttributeLinkFrom}-
        custom_attributes{UserCustomAttributeValue}@entity_id email first_name is_active:bool!
        is_otp_enabled:bool is_totp_enabled:bool last_name memberships[Membership]@user_id
        metadata{Metadata}@parent_id require_details_update:bool resource_type!^=user
        thumbnail>Component@thumbnail_id thumbnail_id:fk thumbnail_url:obj^~ timelogs[Timelog]@user_id
        user_security_roles[UserSecurityRole]@user_id user_type>UserType@user_type_id
        user_type_id:fkonly username!
        """,
        base="Resource",
    ),
    T(
        "Group",
        """
        children[Group]@parent_id custom_attribute_links{CustomAttributeLink}-
        custom_attribute_links_from{CustomAttributeLinkFrom}- link^ local:bool!
        memberships[Membership]@group_id name!= parent>Group@parent_id parent_id:fk
        resource_type!^=group
        """,
        base="Resource",
    ),
    T(
        "Membership",
        """
        id!^={uid} group>Group@group_id group_id:fk! user>User@user_id user_id:fk!
        """,
    ),
    T(
        "Status",
        """
        id!^={uid} color is_active:bool! name sort:int=0 state>State@state_id tasks[Task]@status_id
        """,
    ),
    T(
        "State",
        """
        id!^={uid} name short
        """,
    ),
    T(
        "Type",
        """
        id!^={uid} color!=#510100 is_billable:bool!=true name sort:int!=0
        task_type_schemas[TaskTypeSchema]@TaskTypeSchemaType(type_id,task_type_schema_id)
        tasks[Task]@type_id
        """,
    ),
    T(
        "Priority",
        """
        id!^={uid} color name sort:int=0 tasks[Task]@priority_id value:num=0
        """,
    ),
    T(
        "ObjectType",
        """
        id!^={uid} icon!=default is_leaf:bool=false is_schedulable:bool!=false is_statusable:bool!=true
        is_taskable:bool!=true is_time_reportable:bool!=false is_typeable:bool!=true name!
        project_schemas[ProjectSchema]@ProjectSchemaObjectType(object_type_id,project_schema_id)
        sort:int!=0 tasks[Task]@object_type_id
        """,
    ),
    T(
        "ProjectSchema",
        """
        id!^={uid} asset_version_workflow_schema>WorkflowSchema@asset_version_workflow_schema_id
        asset_version_workflow_schema_id:fk name object_type_schemas[Schema]@project_schema_id
        object_types[ObjectType]@ProjectSchemaObjectType(project_schema_id,object_type_id)
        _overrides[ProjectSchemaOverride]@project_schema_id _schemas[Schema]@project_schema_id
        task_templates[TaskTemplate]@project_schema_id
        _task_type_schema>TaskTypeSchema@task_type_schema_id
        task_type_schema>TaskTypeSchema@task_type_schema_id task_type_schema_id:fk
        _task_workflow>WorkflowSchema@task_workflow_schema_id
        task_workflow_schema>WorkflowSchema@task_workflow_schema_id task_workflow_schema_id:fk
        task_workflow_schema_overrides[ProjectSchemaOverride]@project_schema_id
        _version_workflow>WorkflowSchema@asset_version_workflow_schema_id
        """,
    ),
    T(
        "ProjectSchemaOverride",
        """
        id!^={uid} project_schema_id:fk type_id:fk workflow_schema>WorkflowSchema@workflow_schema_id
        workflow_schema_id:fk
        """,
    ),
    T(
        "WorkflowSchema",
        """
        id!^={uid} 'name=Workflow Name' overrides[ProjectSchemaOverride]@workflow_schema_id
        statuses[Status]@WorkflowSchemaStatus(workflow_schema_id,status_id)
        """,
    ),
    T(
        "Schema",
        """
        id!^={uid} object_type_id:fk project_schema_id:fk! statuses[SchemaStatus]@schema_id type_id:fk!
        types[SchemaType]@schema_id
        """,
    ),
    T(
        "SchemaStatus",
        """
        schema_id:fk!^ status_id:fk!^ sort:int=0 task_status>Status@status_id
        """,
        pk="status_id schema_id",
    ),
    T(
        "SchemaType",
        """
        schema_id:fk!^ type_id:fk!^ sort:int=0 task_type>Type@type_id
        """,
        pk="type_id schema_id",
    ),
    T(
        "TaskTypeSchema",
        """
        id!^={uid} 'name=TaskType Schema Name'
        types[Type]@TaskTypeSchemaType(task_type_schema_id,type_id)
        """,
    ),
    T(
        "Note",
        """
        id!^={uid} author>User@user_id category>NoteCategory@category_id category_id:fk completed_at:dt
        completed_by>User@completed_by_id completed_by_id:fk content date:dt
        in_reply_to>Note@in_reply_to_id in_reply_to_id:fk is_todo:bool=false
        metadata{Metadata}@parent_id note_components[NoteComponent]@note_id
        note_label_links[NoteLabelLink]@note_id parent_id parent_type recipients[Recipient]@note_id
        replies[Note]@in_reply_to_id thread_activity:dt user_id:fk!
        """,
    ),
    T(
        "Recipient",
        """
        note_id:fk!^ resource_id:fk!^ note>Note@note_id recipient>Resource@resource_id text_mentioned
        user>User@resource_id
        """,
        pk="note_id resource_id",
    ),
    T(
        "NoteCategory",
        """
        id!^={uid} color name sort:int=0
        """,
    ),
    T(
        "NoteLabel",
        """
        id!^={uid} color name sort:int=0
        """,
    ),
    T(
        "NoteLabelLink",
        """
        label_id:fk!^ note_id:fk!^ label>NoteLabel@label_id note>Note@note_id
        """,
        pk="note_id label_id",
    ),
    T(
        "NoteComponent",
        """
        component_id:fk!^ note_id:fk!^ component>Component@component_id note>Note@note_id
        thumbnail_url:obj^~ url:obj^~
        """,
        pk="component_id note_id",
    ),
    T(
        "Job",
        """
        id!^={uid} created_at:dt data:json finished_at:dt job_components[JobComponent]@job_id
        status!=queued type!^=api_job user>User@user_id user_id:fk
        """,
    ),
    T(
        "JobComponent",
        """
        component_id:fk!^ job_id:fk!^ component>Component@component_id job>Job@job_id url:obj^~
        """,
        pk="component_id job_id",
    ),
    T(
        "Metadata",
        """
        key!^ parent_id!^ parent_type! value!
        """,
        pk="parent_id key",
        dp="parent_id key value parent_type",
    ),
    T(
        "CustomAttributeConfiguration",
        """
        id!^={uid} config! core:bool!=false default:var= entity_type group>CustomAttributeGroup@group_id
        group_id:fk is_hierarchical:bool=false key label object_type>ObjectType@object_type_id
        object_type_id project_id read_security_roles[SecurityRole] sort:int=0
        type>CustomAttributeType@type_id type_id:fk values[CustomAttributeValue]@configuration_id
        write_security_roles[SecurityRole]
        """,
        sys="project_id",
    ),
]

namespace ImageUpdate.Systemd.Service;

/// <summary>
/// The introspection data of the three interfaces, with the argument names systemd-sysupdated's
/// vtables give (src/sysupdate/sysupdated.c); Tmds.DBus.Protocol adds Peer and Introspectable, and
/// <see cref="Platform.DBus.ExportedObject"/> adds Properties.
/// </summary>
internal static class SysupdateIntrospection
{
    public const string Manager = """
        <interface name="org.freedesktop.sysupdate1.Manager">
          <method name="ListTargets"><arg name="targets" type="a(sso)" direction="out"/></method>
          <method name="ListJobs"><arg name="jobs" type="a(tsuo)" direction="out"/></method>
          <method name="ListAppStream"><arg name="urls" type="as" direction="out"/></method>
          <signal name="JobRemoved"><arg name="id" type="t"/><arg name="path" type="o"/><arg name="status" type="i"/></signal>
        </interface>
        """;

    public const string Target = """
        <interface name="org.freedesktop.sysupdate1.Target">
          <method name="List"><arg name="flags" type="t" direction="in"/><arg name="versions" type="as" direction="out"/></method>
          <method name="Describe"><arg name="version" type="s" direction="in"/><arg name="flags" type="t" direction="in"/><arg name="json" type="s" direction="out"/></method>
          <method name="CheckNew"><arg name="new_version" type="s" direction="out"/></method>
          <method name="Update"><arg name="new_version" type="s" direction="in"/><arg name="flags" type="t" direction="in"/><arg name="new_version" type="s" direction="out"/><arg name="job_id" type="t" direction="out"/><arg name="job_path" type="o" direction="out"/></method>
          <method name="Vacuum"><arg name="instances" type="u" direction="out"/><arg name="disabled_transfers" type="u" direction="out"/></method>
          <method name="GetAppStream"><arg name="appstream" type="as" direction="out"/></method>
          <method name="GetVersion"><arg name="version" type="s" direction="out"/></method>
          <method name="ListFeatures"><arg name="flags" type="t" direction="in"/><arg name="features" type="as" direction="out"/></method>
          <method name="DescribeFeature"><arg name="feature" type="s" direction="in"/><arg name="flags" type="t" direction="in"/><arg name="json" type="s" direction="out"/></method>
          <method name="SetFeatureEnabled"><arg name="feature" type="s" direction="in"/><arg name="enabled" type="i" direction="in"/><arg name="flags" type="t" direction="in"/></method>
          <property name="Class" type="s" access="read"/>
          <property name="Name" type="s" access="read"/>
          <property name="Path" type="s" access="read"/>
        </interface>
        """;

    public const string Job = """
        <interface name="org.freedesktop.sysupdate1.Job">
          <method name="Cancel"/>
          <property name="Id" type="t" access="read"/>
          <property name="Type" type="s" access="read"/>
          <property name="Offline" type="b" access="read"/>
          <property name="Progress" type="u" access="read"/>
        </interface>
        """;
}

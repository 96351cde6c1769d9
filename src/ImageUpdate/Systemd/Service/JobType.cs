namespace ImageUpdate.Systemd.Service;

/// <summary>What a job does; <see cref="SysupdateJob.TypeName"/> gives the Type property's word.</summary>
public enum JobType
{
    List,
    Describe,
    CheckNew,
    Update,
    Vacuum,
    DescribeFeature,
}

using ImageUpdate.Model.Resources;

namespace ImageUpdate.Model.Planning;

/// <summary>The instance that provides one transfer's part of an update set, and where the planner found it.</summary>
public sealed record SetInstance(Instance Instance, InstanceOrigin Origin)
{
    public bool InTarget => Origin == InstanceOrigin.Target;
}

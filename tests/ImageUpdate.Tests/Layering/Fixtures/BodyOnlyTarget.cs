namespace ImageUpdate.Tests.Layering.Fixtures;

/// <summary>Named only inside <see cref="BodyOnlyUser"/>'s method body: the reference reader must still see it.</summary>
public static class BodyOnlyTarget
{
    public static int Value() => 42;
}

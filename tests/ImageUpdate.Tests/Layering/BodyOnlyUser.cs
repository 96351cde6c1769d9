namespace ImageUpdate.Tests.Layering;

/// <summary>Uses <c>Fixtures.BodyOnlyTarget</c> in a method body only (no field, signature or attribute).</summary>
public static class BodyOnlyUser
{
    public static int Use() => Fixtures.BodyOnlyTarget.Value() + 1;
}

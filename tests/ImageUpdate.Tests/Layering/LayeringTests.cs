namespace ImageUpdate.Tests.Layering;

public sealed class LayeringTests
{
    [Fact]
    public void No_folder_of_the_engine_uses_a_later_layer_and_the_folder_graph_is_acyclic()
    {
        var assembly = typeof(ImageUpdate.Update.Engine.UpdateEngine).Assembly.Location;
        var references = AssemblyReferences.Read(assembly).ToList();

        var problems = Layers.Violations(references);

        Assert.NotEmpty(references);
        Assert.True(problems.Count == 0, "Layering broken:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void Every_type_of_the_engine_sits_in_a_layer_and_a_concept_folder()
    {
        var outside = typeof(ImageUpdate.Update.Engine.UpdateEngine).Assembly.GetTypes()
            .Where(t => !t.IsNested && t.Namespace?.StartsWith("ImageUpdate", StringComparison.Ordinal) == true)
            .Where(t => Layers.Locate(t.Namespace) is not { Concept.Length: > 0 } place || !Layers.Order.Contains(place.Layer))
            .Select(t => t.FullName)
            .ToList();

        Assert.Empty(outside);
    }

    [Fact]
    public void A_later_layer_used_from_an_earlier_one_is_reported_with_an_example()
    {
        var problems = Layers.Violations([("ImageUpdate.Formats.Gpt", "ImageUpdate.Update.Engine", "GptDisk uses UpdateEngine")]);

        Assert.Equal(["Formats/Gpt uses the later layer Update/Engine (GptDisk uses UpdateEngine)"], problems);
    }

    [Fact]
    public void A_cycle_between_folders_of_one_layer_is_reported()
    {
        var problems = Layers.Violations(
        [
            ("ImageUpdate.Model.Planning", "ImageUpdate.Model.Resources", "a"),
            ("ImageUpdate.Model.Resources", "ImageUpdate.Model.Definitions", "b"),
            ("ImageUpdate.Model.Definitions", "ImageUpdate.Model.Planning", "c"),
            ("ImageUpdate.Model.Planning", "ImageUpdate.Formats.Versions", "d"),
        ]);

        Assert.Equal(["folder cycle: Model/Definitions → Model/Planning → Model/Resources"], problems);
    }

    [Fact]
    public void Uses_of_earlier_layers_and_within_a_folder_are_allowed()
    {
        var problems = Layers.Violations(
        [
            ("ImageUpdate.Systemd.Service", "ImageUpdate.Update.Engine", "a"),
            ("ImageUpdate.Update.Engine", "ImageUpdate.Foundation.Errors", "b"),
            ("ImageUpdate.Formats.Gpt", "ImageUpdate.Formats.Gpt.Internal", "c"),
        ]);

        Assert.Empty(problems);
    }

    [Fact]
    public void The_reader_sees_references_made_only_inside_method_bodies()
    {
        var references = AssemblyReferences.Read(typeof(LayeringTests).Assembly.Location);

        Assert.Contains(references, r => r.FromNamespace == typeof(BodyOnlyUser).Namespace && r.ToNamespace == typeof(Fixtures.BodyOnlyTarget).Namespace);
    }
}

namespace ImageUpdate.Tests.Layering;

/// <summary>
/// The engine's layers, top to bottom, as src/ARCHITECTURE.md draws them: a folder (namespace
/// <c>ImageUpdate.LAYER.CONCEPT</c>) may use its own layer and the layers before it, never one after.
/// </summary>
public static class Layers
{
    public static IReadOnlyList<string> Order { get; } = ["Foundation", "Formats", "Platform", "Model", "Update", "Systemd"];

    /// <summary>"ImageUpdate.Update.Engine.Steps" → ("Update", "Engine"); null outside the layered namespaces.</summary>
    public static (string Layer, string Concept)? Locate(string? ns)
    {
        if (ns is null || !ns.StartsWith("ImageUpdate.", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = ns.Split('.');
        return parts.Length >= 3 ? (parts[1], parts[2]) : (parts.Length == 2 ? (parts[1], "") : null);
    }

    /// <summary>
    /// Every reference that goes against the order (a layer using a later one, or a namespace outside
    /// any layer), then every cycle among the concept folders, each as one readable line.
    /// </summary>
    public static IReadOnlyList<string> Violations(IEnumerable<(string FromNamespace, string ToNamespace, string Example)> references)
    {
        var problems = new SortedSet<string>(StringComparer.Ordinal);
        var edges = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (from, to, example) in references)
        {
            if (Locate(from) is not { } source || Locate(to) is not { } target)
            {
                continue;
            }

            var sourceRank = Rank(source.Layer);
            var targetRank = Rank(target.Layer);
            if (sourceRank < 0 || source.Concept.Length == 0)
            {
                problems.Add($"{from} is in no layer ({example})");
                continue;
            }

            if (targetRank < 0 || target.Concept.Length == 0)
            {
                problems.Add($"{to} is in no layer ({example})");
                continue;
            }

            if (targetRank > sourceRank)
            {
                problems.Add($"{source.Layer}/{source.Concept} uses the later layer {target.Layer}/{target.Concept} ({example})");
            }

            var a = $"{source.Layer}/{source.Concept}";
            var b = $"{target.Layer}/{target.Concept}";
            if (a != b)
            {
                if (!edges.TryGetValue(a, out var set))
                {
                    edges[a] = set = new SortedSet<string>(StringComparer.Ordinal);
                }

                set.Add(b);
            }
        }

        foreach (var cycle in Cycles(edges))
        {
            problems.Add("folder cycle: " + string.Join(" → ", cycle));
        }

        return [.. problems];
    }

    private static int Rank(string layer)
    {
        for (var i = 0; i < Order.Count; i++)
        {
            if (Order[i] == layer)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>One cycle per strongly connected component of more than one folder (Tarjan).</summary>
    private static IEnumerable<IReadOnlyList<string>> Cycles(Dictionary<string, SortedSet<string>> edges)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<IReadOnlyList<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in edges.TryGetValue(node, out var set) ? set : [])
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], index[next]);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);

                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    components.Add(component);
                }
            }
        }

        foreach (var node in edges.Keys.ToList())
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return components;
    }
}

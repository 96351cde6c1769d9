using Mono.Cecil;

namespace ImageUpdate.Tests.Layering;

/// <summary>
/// What each type of a compiled assembly uses of the same assembly, read from its metadata and IL with
/// Mono.Cecil: base types, interfaces, fields, signatures, attributes, locals, catch clauses and every
/// type, method or field an instruction names. The compiler's own view, so a fully qualified name or a
/// `using` alias cannot hide a reference.
/// </summary>
public static class AssemblyReferences
{
    public static IEnumerable<(string FromNamespace, string ToNamespace, string Example)> Read(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var found = new Dictionary<(string, string), SortedSet<string>>();
        foreach (var type in module.GetTypes())
        {
            var from = NamespaceOf(type);
            foreach (var used in Uses(type))
            {
                if (used.Resolve() is { } definition && definition.Module == module && NamespaceOf(definition) is var to && to != from)
                {
                    if (!found.TryGetValue((from, to), out var examples))
                    {
                        found[(from, to)] = examples = new SortedSet<string>(StringComparer.Ordinal);
                    }

                    examples.Add($"{type.FullName} uses {definition.FullName}");
                }
            }
        }

        // Three examples per pair of namespaces are enough to find the places to change.
        return found.Select(p => (p.Key.Item1, p.Key.Item2, string.Join("; ", p.Value.Take(3))));
    }

    /// <summary>A nested (or compiler-generated) type belongs to the namespace of its outermost type.</summary>
    private static string NamespaceOf(TypeDefinition type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type.Namespace;
    }

    private static IEnumerable<TypeReference> Uses(TypeDefinition type)
    {
        var uses = new List<TypeReference>();
        void Add(TypeReference? reference)
        {
            switch (reference)
            {
                case null:
                    return;
                case GenericInstanceType generic:
                    Add(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                    {
                        Add(argument);
                    }

                    return;
                case TypeSpecification specification:
                    Add(specification.ElementType);
                    return;
                case GenericParameter:
                    return;
                default:
                    uses.Add(reference);
                    return;
            }
        }

        void AddMember(MemberReference member)
        {
            Add(member.DeclaringType);
            switch (member)
            {
                case GenericInstanceMethod method:
                    foreach (var argument in method.GenericArguments)
                    {
                        Add(argument);
                    }

                    Add(method.ElementMethod.DeclaringType);
                    break;
                case MethodReference method:
                    Add(method.ReturnType);
                    foreach (var parameter in method.Parameters)
                    {
                        Add(parameter.ParameterType);
                    }

                    break;
                case FieldReference field:
                    Add(field.FieldType);
                    break;
            }
        }

        void AddAttributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType);
            }
        }

        Add(type.BaseType);
        AddAttributes(type);
        foreach (var implemented in type.Interfaces)
        {
            Add(implemented.InterfaceType);
        }

        foreach (var field in type.Fields)
        {
            Add(field.FieldType);
            AddAttributes(field);
        }

        foreach (var property in type.Properties)
        {
            Add(property.PropertyType);
            AddAttributes(property);
        }

        foreach (var method in type.Methods)
        {
            AddMember(method);
            AddAttributes(method);
            foreach (var parameter in method.Parameters)
            {
                AddAttributes(parameter);
            }

            if (!method.HasBody)
            {
                continue;
            }

            foreach (var variable in method.Body.Variables)
            {
                Add(variable.VariableType);
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                Add(handler.CatchType);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference operandType:
                        Add(operandType);
                        break;
                    case MemberReference member:
                        AddMember(member);
                        break;
                    case CallSite site:
                        Add(site.ReturnType);
                        break;
                }
            }
        }

        return uses;
    }
}

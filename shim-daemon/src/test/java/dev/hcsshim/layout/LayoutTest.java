package dev.hcsshim.layout;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The architecture the README describes, checked on the compiled classes of every module. */
class LayoutTest {
    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.hcsshim");
        // every module's classes are in view, or the rules below would hold vacuously
        for (String c : java.util.List.of("dev.hcsshim.shim.task.TaskService", "dev.hcsshim.linux.OciRuntime",
                "dev.hcsshim.windows.HcsSystem", "dev.hcsshim.ttrpc.TtrpcServer")) {
            org.junit.jupiter.api.Assertions.assertTrue(classes.contain(c), c);
        }
    }

    @Test
    void noPackageDependsOnItselfThroughAnother() {
        slices().matching("dev.hcsshim.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theTaskServiceKnowsNoPlatform() {
        noClasses().that().resideInAnyPackage("dev.hcsshim.shim.task..", "dev.hcsshim.shim.diag..", "dev.hcsshim.shim.sharing..",
                        "dev.hcsshim.shim.platform..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.hcsshim.linux..", "dev.hcsshim.windows..",
                        "dev.hcsshim.shim.linux..", "dev.hcsshim.shim.windows..")
                .check(classes);
    }

    @Test
    void linuxAndWindowsNeverMeet() {
        noClasses().that().resideInAnyPackage("dev.hcsshim.shim.windows..", "dev.hcsshim.windows..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.hcsshim.linux..", "dev.hcsshim.shim.linux..")
                .check(classes);
        noClasses().that().resideInAnyPackage("dev.hcsshim.shim.linux..", "dev.hcsshim.linux..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.hcsshim.windows..", "dev.hcsshim.shim.windows..")
                .check(classes);
    }
}

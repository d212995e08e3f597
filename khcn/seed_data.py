"""What the demo province is made of: organisations, names, fields and proposal titles.

Thành phố Huế as it is now: a centrally-run city since 01/01/2025 (NQ 175/2024/QH15), whose
Department of Science and Technology absorbed Information and Communications on 01/03/2025;
Đại học Huế and its member schools, the central hospital, institutes, the city's departments
(agriculture and environment merged into one, as in every province in 2025) and local
companies. Addresses name streets and the city only (no district: districts were abolished on
01/07/2025). Names of people are drawn from the
usual Vietnamese family, middle and given names (with Huế's Tôn Thất / Tôn Nữ); none is meant
to be a real person.
"""

# ruff: noqa: E501 - proposal titles are kept whole, one a line

from __future__ import annotations

from models.enums import AcademicTitle, Degree, Field, OrganisationKind

F = Field
K = OrganisationKind

# (name, short name, kind, fields its people work in, address)
OrgSpec = tuple[str, str, OrganisationKind, tuple[Field, ...], str]
ORGANISATIONS: list[OrgSpec] = [
    (
        "Sở Khoa học và Công nghệ thành phố Huế",
        "SKHCN",
        K.GOVERNMENT_AGENCY,
        (F.ENGINEERING_TECHNOLOGY, F.SOCIAL_SCIENCES),
        "26 Hà Nội, thành phố Huế",
    ),
    (
        "Đại học Huế",
        "ĐHH",
        K.UNIVERSITY,
        (F.NATURAL_SCIENCES, F.SOCIAL_SCIENCES),
        "03 Lê Lợi, thành phố Huế",
    ),
    (
        "Trường Đại học Khoa học, Đại học Huế",
        "ĐHKH",
        K.UNIVERSITY,
        (F.NATURAL_SCIENCES, F.ENGINEERING_TECHNOLOGY, F.HUMANITIES),
        "77 Nguyễn Huệ, thành phố Huế",
    ),
    (
        "Trường Đại học Y - Dược, Đại học Huế",
        "ĐHYD",
        K.UNIVERSITY,
        (F.MEDICAL_PHARMACEUTICAL,),
        "06 Ngô Quyền, thành phố Huế",
    ),
    (
        "Trường Đại học Nông Lâm, Đại học Huế",
        "ĐHNL",
        K.UNIVERSITY,
        (F.AGRICULTURAL,),
        "102 Phùng Hưng, thành phố Huế",
    ),
    (
        "Trường Đại học Sư phạm, Đại học Huế",
        "ĐHSP",
        K.UNIVERSITY,
        (F.NATURAL_SCIENCES, F.SOCIAL_SCIENCES, F.HUMANITIES),
        "34 Lê Lợi, thành phố Huế",
    ),
    (
        "Trường Đại học Kinh tế, Đại học Huế",
        "ĐHKT",
        K.UNIVERSITY,
        (F.SOCIAL_SCIENCES,),
        "99 Hồ Đắc Di, thành phố Huế",
    ),
    (
        "Trường Đại học Ngoại ngữ, Đại học Huế",
        "ĐHNN",
        K.UNIVERSITY,
        (F.HUMANITIES,),
        "57 Nguyễn Khoa Chiêm, thành phố Huế",
    ),
    (
        "Trường Đại học Nghệ thuật, Đại học Huế",
        "ĐHNT",
        K.UNIVERSITY,
        (F.HUMANITIES,),
        "10 Tô Ngọc Vân, thành phố Huế",
    ),
    (
        "Trường Đại học Luật, Đại học Huế",
        "ĐHL",
        K.UNIVERSITY,
        (F.SOCIAL_SCIENCES,),
        "Đường Võ Văn Kiệt, thành phố Huế",
    ),
    (
        "Khoa Kỹ thuật và Công nghệ, Đại học Huế",
        "KKTCN",
        K.UNIVERSITY,
        (F.ENGINEERING_TECHNOLOGY,),
        "01 Điện Biên Phủ, thành phố Huế",
    ),
    (
        "Trường Đại học Phú Xuân",
        "PXU",
        K.UNIVERSITY,
        (F.ENGINEERING_TECHNOLOGY, F.SOCIAL_SCIENCES),
        "28 Nguyễn Tri Phương, thành phố Huế",
    ),
    (
        "Trường Cao đẳng Công nghiệp Huế",
        "CĐCN",
        K.UNIVERSITY,
        (F.ENGINEERING_TECHNOLOGY,),
        "70 Nguyễn Huệ, thành phố Huế",
    ),
    (
        "Viện Công nghệ sinh học, Đại học Huế",
        "VCNSH",
        K.RESEARCH_INSTITUTE,
        (F.NATURAL_SCIENCES, F.AGRICULTURAL),
        "Tỉnh lộ 10, thành phố Huế",
    ),
    (
        "Viện Tài nguyên và Môi trường, Đại học Huế",
        "VTNMT",
        K.RESEARCH_INSTITUTE,
        (F.NATURAL_SCIENCES, F.ENGINEERING_TECHNOLOGY),
        "07 Hà Nội, thành phố Huế",
    ),
    (
        "Viện Nghiên cứu Phát triển Huế",
        "VNCPT",
        K.RESEARCH_INSTITUTE,
        (F.SOCIAL_SCIENCES, F.HUMANITIES),
        "12 Lê Lợi, thành phố Huế",
    ),
    (
        "Trung tâm Bảo tồn Di tích Cố đô Huế",
        "TTBTDT",
        K.RESEARCH_INSTITUTE,
        (F.HUMANITIES,),
        "23 Tống Duy Tân, thành phố Huế",
    ),
    (
        "Trung tâm Nghiên cứu Thủy sản miền Trung",
        "TTNCTS",
        K.RESEARCH_INSTITUTE,
        (F.AGRICULTURAL, F.NATURAL_SCIENCES),
        "Vùng đầm phá Tam Giang - Cầu Hai, thành phố Huế",
    ),
    (
        "Bệnh viện Trung ương Huế",
        "BVTWH",
        K.HOSPITAL,
        (F.MEDICAL_PHARMACEUTICAL,),
        "16 Lê Lợi, thành phố Huế",
    ),
    (
        "Bệnh viện Trường Đại học Y - Dược Huế",
        "BVĐHYD",
        K.HOSPITAL,
        (F.MEDICAL_PHARMACEUTICAL,),
        "41 Nguyễn Huệ, thành phố Huế",
    ),
    (
        "Bệnh viện Mắt Huế",
        "BVM",
        K.HOSPITAL,
        (F.MEDICAL_PHARMACEUTICAL,),
        "14 Lê Lợi, thành phố Huế",
    ),
    (
        "Bệnh viện Y học cổ truyền thành phố Huế",
        "BVYHCT",
        K.HOSPITAL,
        (F.MEDICAL_PHARMACEUTICAL,),
        "02 Dương Văn An, thành phố Huế",
    ),
    (
        "Trung tâm Kiểm soát bệnh tật thành phố Huế",
        "CDC",
        K.HOSPITAL,
        (F.MEDICAL_PHARMACEUTICAL,),
        "10-12 Nguyễn Văn Cừ, thành phố Huế",
    ),
    (
        "Sở Nông nghiệp và Môi trường thành phố Huế",
        "SNNMT",
        K.GOVERNMENT_AGENCY,
        (F.AGRICULTURAL, F.NATURAL_SCIENCES),
        "05 Lê Quý Đôn, thành phố Huế",
    ),
    (
        "Sở Y tế thành phố Huế",
        "SYT",
        K.GOVERNMENT_AGENCY,
        (F.MEDICAL_PHARMACEUTICAL,),
        "28 Lê Lợi, thành phố Huế",
    ),
    (
        "Sở Văn hóa và Thể thao thành phố Huế",
        "SVHTT",
        K.GOVERNMENT_AGENCY,
        (F.HUMANITIES, F.SOCIAL_SCIENCES),
        "01 Trần Cao Vân, thành phố Huế",
    ),
    (
        "Trung tâm Ứng dụng tiến bộ khoa học và công nghệ",
        "TTƯD",
        K.GOVERNMENT_AGENCY,
        (F.AGRICULTURAL, F.ENGINEERING_TECHNOLOGY),
        "Đường Phạm Văn Đồng, thành phố Huế",
    ),
    (
        "Công ty Cổ phần Dệt may Huế",
        "HUEGATEX",
        K.ENTERPRISE,
        (F.ENGINEERING_TECHNOLOGY,),
        "122 Dương Thiệu Tước, thành phố Huế",
    ),
    (
        "Công ty Cổ phần Dược Trung ương Medipharco",
        "MEDIPHARCO",
        K.ENTERPRISE,
        (F.MEDICAL_PHARMACEUTICAL,),
        "08 Nguyễn Trường Tộ, thành phố Huế",
    ),
    (
        "Công ty TNHH Nông nghiệp sạch Phong Điền",
        "NNSPĐ",
        K.ENTERPRISE,
        (F.AGRICULTURAL,),
        "Phong Điền, thành phố Huế",
    ),
    (
        "Công ty Cổ phần Giải pháp phần mềm Cố Đô",
        "CODOSOFT",
        K.ENTERPRISE,
        (F.ENGINEERING_TECHNOLOGY,),
        "Khu Công nghệ thông tin tập trung, thành phố Huế",
    ),
    (
        "Hợp tác xã Nông nghiệp Thủy Thanh",
        "HTXTT",
        K.ENTERPRISE,
        (F.AGRICULTURAL,),
        "Thủy Thanh, thành phố Huế",
    ),
    (
        "Liên hiệp các Hội Khoa học và Kỹ thuật thành phố Huế",
        "LHH",
        K.OTHER,
        (F.SOCIAL_SCIENCES, F.ENGINEERING_TECHNOLOGY),
        "18 Lê Lợi, thành phố Huế",
    ),
]

# Family names, roughly by how common they are (the weights repeat the common ones).
FAMILY_NAMES = (
    ["Nguyễn"] * 10
    + ["Trần"] * 5
    + ["Lê"] * 4
    + ["Phạm", "Hoàng", "Phan", "Võ", "Huỳnh"] * 2
    + ["Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Trương", "Lương", "Đoàn", "Mai"]
    + ["Châu", "Hà", "Lý", "Cao", "Tôn Thất", "Nguyễn Phước", "Hồ Đắc", "Thái"]
)
MALE_MIDDLE = ["Văn", "Hữu", "Đức", "Quang", "Minh", "Thanh", "Xuân", "Công", "Đình", "Ngọc"]
FEMALE_MIDDLE = ["Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Hoài", "Diệu", "Bảo", "Phương"]
MALE_GIVEN = [
    "Anh", "Bảo", "Bách", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hòa", "Hùng", "Huy",
    "Khánh", "Khoa", "Long", "Lộc", "Minh", "Nam", "Nhân", "Phong", "Phúc", "Quân", "Sơn",
    "Tài", "Thắng", "Thành", "Tín", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Vũ",
]  # fmt: skip
FEMALE_GIVEN = [
    "Anh", "Châu", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Lan",
    "Liên", "Linh", "Mai", "My", "Nga", "Ngân", "Nhung", "Oanh", "Phương", "Quỳnh", "Tâm",
    "Thảo", "Thủy", "Trang", "Trâm", "Uyên", "Vân", "Yến", "Xuân",
]  # fmt: skip

# (prefix shown before the name, degree, academic title, weight)
DEGREES: list[tuple[str, Degree, AcademicTitle | None, int]] = [
    ("GS.TS.", Degree.DOCTOR, AcademicTitle.PROFESSOR, 4),
    ("PGS.TS.", Degree.DOCTOR, AcademicTitle.ASSOCIATE_PROFESSOR, 18),
    ("TSKH.", Degree.DOCTOR_OF_SCIENCE, None, 1),
    ("TS.", Degree.DOCTOR, None, 40),
    ("ThS.", Degree.MASTER, None, 30),
    ("KS.", Degree.ENGINEER, None, 4),
    ("CN.", Degree.BACHELOR, None, 3),
]

POSITIONS: dict[OrganisationKind, list[str]] = {
    K.UNIVERSITY: ["Giảng viên", "Giảng viên chính", "Trưởng khoa", "Phó Trưởng khoa",
                   "Trưởng bộ môn", "Giảng viên cao cấp"],
    K.RESEARCH_INSTITUTE: ["Nghiên cứu viên", "Nghiên cứu viên chính", "Trưởng phòng",
                           "Phó Viện trưởng"],
    K.HOSPITAL: ["Bác sĩ", "Bác sĩ chuyên khoa II", "Trưởng khoa", "Phó Giám đốc", "Dược sĩ"],
    K.GOVERNMENT_AGENCY: ["Chuyên viên", "Chuyên viên chính", "Trưởng phòng", "Phó Giám đốc"],
    K.ENTERPRISE: ["Giám đốc kỹ thuật", "Kỹ sư trưởng", "Trưởng phòng R&D", "Phó Giám đốc"],
    K.OTHER: ["Chuyên viên", "Phó Chủ tịch", "Ủy viên Ban Thường vụ"],
}  # fmt: skip

SPECIALITIES: dict[Field, list[str]] = {
    F.NATURAL_SCIENCES: ["Hóa học hữu cơ", "Hóa phân tích", "Vật lý chất rắn", "Sinh học phân tử",
                         "Toán ứng dụng", "Khoa học môi trường", "Địa chất", "Thực vật học"],
    F.ENGINEERING_TECHNOLOGY: ["Công nghệ thông tin", "Kỹ thuật xây dựng", "Tự động hóa",
                               "Công nghệ vật liệu", "Năng lượng tái tạo", "Công nghệ thực phẩm",
                               "Kỹ thuật điện tử", "Trí tuệ nhân tạo"],
    F.MEDICAL_PHARMACEUTICAL: ["Nội khoa", "Ngoại khoa", "Dược học", "Y tế công cộng",
                               "Y học cổ truyền", "Nhãn khoa", "Nhi khoa", "Tim mạch"],
    F.AGRICULTURAL: ["Khoa học cây trồng", "Chăn nuôi", "Thú y", "Nuôi trồng thủy sản",
                     "Lâm nghiệp", "Bảo vệ thực vật", "Khoa học đất", "Công nghệ sau thu hoạch"],
    F.SOCIAL_SCIENCES: ["Kinh tế phát triển", "Quản trị kinh doanh", "Luật học", "Xã hội học",
                        "Du lịch", "Giáo dục học", "Quản lý công"],
    F.HUMANITIES: ["Lịch sử Việt Nam", "Hán Nôm", "Văn hóa học", "Ngôn ngữ học",
                   "Bảo tồn di sản kiến trúc", "Âm nhạc cung đình", "Mỹ thuật"],
}  # fmt: skip

# Proposal titles per field: what such a province actually asks its scientists for.
PROPOSAL_TITLES: dict[Field, list[str]] = {
    F.NATURAL_SCIENCES: [
        "Đánh giá chất lượng nước và đề xuất giải pháp bảo vệ hệ sinh thái đầm phá Tam Giang - Cầu Hai",
        "Nghiên cứu thành phần hóa học và hoạt tính sinh học của một số loài thực vật ở Vườn quốc gia Bạch Mã",
        "Xây dựng bản đồ nguy cơ sạt lở đất khu vực miền núi A Lưới",
        "Nghiên cứu chế tạo vật liệu nano xử lý kim loại nặng trong nước thải làng nghề",
        "Điều tra đa dạng sinh học rừng ngập mặn Rú Chá và đề xuất giải pháp phục hồi",
    ],
    F.ENGINEERING_TECHNOLOGY: [
        "Xây dựng hệ thống giám sát ngập lụt thời gian thực cho thành phố Huế ứng dụng IoT",
        "Ứng dụng trí tuệ nhân tạo hỗ trợ giải quyết thủ tục hành chính trên Cổng dịch vụ công thành phố Huế",
        "Nghiên cứu giải pháp điện mặt trời áp mái cho các công trình công cộng trên địa bàn thành phố",
        "Số hóa và quản lý dữ liệu không gian di sản Cố đô Huế bằng công nghệ GIS và BIM",
        "Thiết kế, chế tạo máy sấy nông sản sử dụng năng lượng sinh khối cho hộ nông dân",
    ],
    F.MEDICAL_PHARMACEUTICAL: [
        "Ứng dụng kỹ thuật sinh học phân tử trong chẩn đoán sớm ung thư gan tại Bệnh viện Trung ương Huế",
        "Nghiên cứu bào chế sản phẩm hỗ trợ điều trị tiểu đường từ cây Chè vằng",
        "Đánh giá thực trạng và giải pháp nâng cao chất lượng chăm sóc sức khỏe người cao tuổi tại tuyến xã",
        "Chuẩn hóa quy trình phẫu thuật nội soi điều trị bệnh lý tuyến giáp",
        "Khảo sát tình trạng kháng kháng sinh của vi khuẩn gây nhiễm khuẩn bệnh viện trên địa bàn thành phố",
    ],
    F.AGRICULTURAL: [
        "Xây dựng mô hình sản xuất lúa hữu cơ theo chuỗi giá trị tại vùng Quảng Điền",
        "Phục tráng và phát triển giống Thanh trà Huế theo hướng VietGAP",
        "Nghiên cứu nuôi tôm thẻ chân trắng trong ao lót bạt ứng phó biến đổi khí hậu vùng ven biển",
        "Phát triển giống sen Huế phục vụ du lịch và chế biến sâu",
        "Ứng dụng chế phẩm sinh học xử lý chất thải chăn nuôi lợn quy mô nông hộ",
    ],
    F.SOCIAL_SCIENCES: [
        "Giải pháp phát triển du lịch cộng đồng gắn với sinh kế bền vững ở vùng đầm phá",
        "Đánh giá tác động của chuyển đổi số đến doanh nghiệp nhỏ và vừa trên địa bàn thành phố",
        "Nghiên cứu mô hình đô thị di sản: cơ sở khoa học và lộ trình phát triển thành phố Huế",
        "Giải pháp nâng cao chỉ số năng lực cạnh tranh cấp tỉnh (PCI) của thành phố Huế giai đoạn 2026-2030",
        "Thực trạng và giải pháp thu hút nguồn nhân lực chất lượng cao cho khu kinh tế Chân Mây - Lăng Cô",
    ],
    F.HUMANITIES: [
        "Sưu tầm, dịch thuật và số hóa văn bản Hán Nôm trong các làng cổ ven sông Hương",
        "Nghiên cứu phục dựng âm nhạc cung đình Huế phục vụ biểu diễn và giáo dục di sản",
        "Bảo tồn và phát huy giá trị nghề truyền thống nón lá Huế",
        "Nghiên cứu hệ thống lăng mộ các chúa Nguyễn: hiện trạng và giải pháp bảo tồn",
        "Văn hóa ẩm thực cung đình Huế: tư liệu hóa và phát huy giá trị trong du lịch",
    ],
}

# Why a proposal is needed and what it delivers: drawn per proposal, so the texts vary.
RATIONALES = [
    "Xuất phát từ yêu cầu thực tiễn phát triển kinh tế - xã hội của thành phố Huế giai đoạn "
    "2026-2030.",
    "Cụ thể hóa Nghị quyết của Thành ủy về phát triển khoa học, công nghệ, đổi mới sáng tạo "
    "và chuyển đổi số.",
    "Đề xuất của địa phương và doanh nghiệp qua đợt lấy ý kiến đặt hàng của Sở Khoa học và "
    "Công nghệ.",
    "Kết quả khảo sát cho thấy vấn đề chưa có lời giải phù hợp với điều kiện của Huế.",
    "Phục vụ mục tiêu xây dựng Huế trở thành đô thị di sản, văn hóa, sinh thái, cảnh quan, "
    "thân thiện với môi trường.",
]
EXPECTED_RESULTS: dict[Field, list[str]] = {
    F.NATURAL_SCIENCES: [
        "Bộ cơ sở dữ liệu quan trắc; báo cáo đánh giá hiện trạng; 02 bài báo khoa học.",
        "Bản đồ chuyên đề tỷ lệ 1:25.000; báo cáo giải pháp; 01 bài báo quốc tế.",
        "Quy trình chế tạo vật liệu ở quy mô phòng thí nghiệm; kết quả thử nghiệm độc lập.",
    ],
    F.ENGINEERING_TECHNOLOGY: [
        "Hệ thống phần mềm vận hành thử nghiệm; tài liệu hướng dẫn; chuyển giao cho đơn vị sử dụng.",
        "Thiết bị mẫu đạt tiêu chuẩn kỹ thuật; quy trình vận hành; báo cáo hiệu quả kinh tế.",
        "Mô hình thí điểm tại 02 công trình; bộ tiêu chí kỹ thuật đề xuất áp dụng.",
    ],
    F.MEDICAL_PHARMACEUTICAL: [
        "Quy trình kỹ thuật được Hội đồng chuyên môn bệnh viện phê duyệt; 02 bài báo khoa học.",
        "Sản phẩm mẫu đạt tiêu chuẩn cơ sở; hồ sơ đề nghị cấp phép lưu hành.",
        "Báo cáo thực trạng; mô hình can thiệp tại 03 trạm y tế; khuyến nghị chính sách.",
    ],
    F.AGRICULTURAL: [
        "Mô hình trình diễn 5 ha; quy trình kỹ thuật được công nhận tiến bộ kỹ thuật; tập huấn "
        "100 lượt nông dân.",
        "Giống được phục tráng; vườn cây đầu dòng; hướng dẫn kỹ thuật canh tác.",
        "Chế phẩm sinh học ứng dụng tại 30 hộ; báo cáo hiệu quả môi trường.",
    ],
    F.SOCIAL_SCIENCES: [
        "Báo cáo kiến nghị chính sách trình UBND thành phố; kỷ yếu hội thảo khoa học.",
        "Bộ chỉ số đánh giá; cơ sở dữ liệu điều tra 500 doanh nghiệp; đề án triển khai.",
        "Mô hình thí điểm tại 02 địa phương; sổ tay hướng dẫn.",
    ],
    F.HUMANITIES: [
        "Bộ tư liệu số hóa; sách chuyên khảo; triển lãm giới thiệu kết quả.",
        "Hồ sơ khoa học di tích; phương án bảo tồn, tu bổ; dữ liệu 3D.",
        "Chương trình biểu diễn phục dựng; tài liệu giáo dục di sản cho trường phổ thông.",
    ],
}

DEPARTMENT = "Sở Khoa học và Công nghệ thành phố Huế"

# The Department's own people: staff of the management office, the Director and deputies.
STAFF_USERS = [
    ("chuyenvien.hoa", "Nguyễn Thị Hoa", "Chuyên viên phòng Quản lý khoa học"),
    ("chuyenvien.tuan", "Lê Anh Tuấn", "Chuyên viên phòng Quản lý khoa học"),
    ("chuyenvien.ngan", "Trần Thị Thu Ngân", "Chuyên viên phòng Quản lý công nghệ"),
    ("truongphong.minh", "Hoàng Văn Minh", "Trưởng phòng Quản lý khoa học"),
]
LEADER_USERS = [
    ("giamdoc.son", "Phan Thanh Sơn", "Giám đốc Sở"),
    ("phogiamdoc.lan", "Tôn Nữ Thị Lan", "Phó Giám đốc Sở"),
]
ADMIN_USERS = [("quantri", "Quản trị quy trình", "Quản trị hệ thống")]

VIETNAMESE_FOLD = str.maketrans({"đ": "d", "Đ": "D"})
